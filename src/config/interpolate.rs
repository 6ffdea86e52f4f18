//! `${...}` interpolation in stack.toml strings. Firehose's own `!{...}` expressions pass through.

use std::collections::BTreeMap;

/// Values available to `${...}` expressions.
pub struct Context<'a> {
    pub variables: &'a BTreeMap<String, String>,
    pub stack_name: &'a str,
    pub region: &'a str,
    pub account_id: &'a str,
}

/// Why a string could not be interpolated.
#[derive(Debug, PartialEq, Eq)]
pub struct InterpolationError {
    pub message: String,
    pub help: String,
}

impl Context<'_> {
    fn known(&self) -> Vec<String> {
        let mut names: Vec<String> = self.variables.keys().map(|k| format!("var.{k}")).collect();
        names.extend(["stack.name", "aws.region", "aws.account_id"].map(String::from));
        names
    }

    /// The value of `name`; a variable's own `${...}` are expanded (a cycle is an error).
    fn lookup(&self, name: &str, expanding: &mut Vec<String>) -> Result<Option<String>, InterpolationError> {
        Ok(match name {
            "stack.name" => Some(self.stack_name.to_string()),
            "aws.region" => Some(self.region.to_string()),
            "aws.account_id" => Some(self.account_id.to_string()),
            _ => match name.strip_prefix("var.").and_then(|v| self.variables.get(v).map(|value| (v, value))) {
                Some((v, value)) => {
                    if expanding.iter().any(|e| e == v) {
                        expanding.push(v.to_string());
                        return Err(InterpolationError {
                            message: format!("the variables {} refer to each other in a cycle", expanding.join(" -> ")),
                            help: "a variable's default may use other variables, never itself through them".into(),
                        });
                    }
                    expanding.push(v.to_string());
                    let expanded = self.expand(value, expanding)?;
                    expanding.pop();
                    Some(expanded)
                }
                None => None,
            },
        })
    }

    /// [`Context::interpolate`] where only variables are known (the stack's name and region):
    /// `${stack.*}` and `${aws.*}` are errors saying so.
    pub fn interpolate_variables(&self, text: &str) -> Result<String, InterpolationError> {
        if let Some(start) = text.find("${stack.").or_else(|| text.find("${aws.")) {
            if !text[..start].ends_with('$') {
                let what = text[start..].split('}').next().unwrap_or_default();
                return Err(InterpolationError {
                    message: format!("`{what}}}` cannot be used here"),
                    help: "the stack's name and region may use variables only (`${var.env}`): the account and region are found after them".into(),
                });
            }
        }
        self.interpolate(text)
    }

    /// Replaces every `${name}` in `text`; `$${` stands for a literal `${`.
    pub fn interpolate(&self, text: &str) -> Result<String, InterpolationError> {
        self.expand(text, &mut Vec::new())
    }

    fn expand(&self, text: &str, expanding: &mut Vec<String>) -> Result<String, InterpolationError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos..];
            if let Some(tail) = after.strip_prefix("$${") {
                out.push_str("${");
                rest = tail;
            } else if let Some(tail) = after.strip_prefix("${") {
                let close = tail.find('}').ok_or_else(|| InterpolationError {
                    message: format!("unclosed `${{` in {text:?}"),
                    help: "close the expression with `}`, or write `$${` for a literal `${`".into(),
                })?;
                let name = tail[..close].trim();
                let value = self.lookup(name, expanding)?.ok_or_else(|| {
                    let known = self.known();
                    let hint = crate::diagnostic::did_you_mean(name, known.iter().map(String::as_str))
                        .map(|s| format!("did you mean `${{{s}}}`? "))
                        .unwrap_or_default();
                    InterpolationError {
                        message: format!("unknown variable `${{{name}}}`"),
                        help: format!("{hint}known: {}", known.join(", ")),
                    }
                })?;
                out.push_str(&value);
                rest = &tail[close + 1..];
            } else {
                out.push('$');
                rest = &after[1..];
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<R>(f: impl FnOnce(&Context) -> R) -> R {
        let vars = BTreeMap::from([("stream_name".to_string(), "PUT-S3".to_string())]);
        f(&Context { variables: &vars, stack_name: "demo", region: "us-east-1", account_id: "123456789012" })
    }

    #[test]
    fn replaces_variables_stack_and_aws_values() {
        let s = with(|c| c.interpolate("b-${aws.region}-${aws.account_id}/${var.stream_name}/${stack.name}"));
        assert_eq!(s.unwrap(), "b-us-east-1-123456789012/PUT-S3/demo");
    }

    #[test]
    fn leaves_firehose_expressions_and_escapes_alone() {
        let s = with(|c| c.interpolate("a=!{partitionKeyFromLambda:a}/$${x}/$5"));
        assert_eq!(s.unwrap(), "a=!{partitionKeyFromLambda:a}/${x}/$5");
    }

    #[test]
    fn unknown_variable_names_the_known_ones() {
        let e = with(|c| c.interpolate("${var.stream_nme}")).unwrap_err();
        assert!(e.message.contains("var.stream_nme"));
        assert!(e.help.contains("did you mean `${var.stream_name}`"));
        assert!(e.help.contains("aws.account_id"));
    }

    #[test]
    fn variables_expand_inside_variables_and_a_cycle_is_named() {
        let vars = BTreeMap::from([
            ("env".to_string(), "prod".to_string()),
            ("stream".to_string(), "events-${var.env}-${aws.region}".to_string()),
            ("a".to_string(), "${var.b}".to_string()),
            ("b".to_string(), "x${var.a}".to_string()),
        ]);
        let c = Context { variables: &vars, stack_name: "demo", region: "eu-west-1", account_id: "1" };
        assert_eq!(c.interpolate("s-${var.stream}").unwrap(), "s-events-prod-eu-west-1");
        let e = c.interpolate("${var.a}").unwrap_err();
        assert!(e.message.contains("a -> b -> a"), "{}", e.message);
    }

    #[test]
    fn unclosed_expression_is_an_error() {
        assert!(with(|c| c.interpolate("${var.x")).is_err());
    }
}
