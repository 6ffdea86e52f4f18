//! `${...}` interpolation in stack.toml strings. Firehose's own `!{...}` expressions pass through.

use crate::model::stack_file::Each;
use std::collections::BTreeMap;

/// What `${ADDRESS.arn}` and `${ADDRESS.name}` are: `None` when the text names no resource.
pub type Attributes<'a> = &'a dyn Fn(&str) -> Option<Result<String, String>>;

/// Values available to `${...}` expressions.
pub struct Values<'a> {
    pub variables: &'a BTreeMap<String, String>,
    pub stack_name: &'a str,
    pub region: &'a str,
    pub account_id: &'a str,
    /// `${each.key}`, `${each.value}`, `${each.value.FIELD}` in a table with `for_each`.
    pub each: Option<&'a Each>,
    /// Resources' attributes (`${bucket.data.arn}`).
    pub attributes: Option<Attributes<'a>>,
}

/// The most one interpolated value may hold: more than any single AWS field takes (a Glue
/// column's type, 131,072 characters, is the largest), so that variables doubling each other
/// cannot make a run hold gigabytes.
pub const MAX_VALUE_BYTES: usize = 256 * 1024;

/// One interpolation's variables: the chain being expanded (a cycle is an error) and what each
/// variable expanded to, so that a variable used many times is expanded once.
#[derive(Default)]
struct Expansion {
    chain: Vec<String>,
    done: std::collections::HashMap<String, String>,
}

/// Why a string could not be interpolated.
#[derive(Debug, PartialEq, Eq)]
pub struct InterpolationError {
    pub message: String,
    pub help: String,
}

impl<'a> Values<'a> {
    /// Variables, the stack's name and where it lives; no `each`, no resources.
    pub fn new(
        variables: &'a BTreeMap<String, String>,
        stack_name: &'a str,
        region: &'a str,
        account_id: &'a str,
    ) -> Self {
        Values { variables, stack_name, region, account_id, each: None, attributes: None }
    }

    fn known(&self) -> Vec<String> {
        let mut names: Vec<String> = self.variables.keys().map(|k| format!("var.{k}")).collect();
        names.extend(["stack.name", "aws.region", "aws.account_id"].map(String::from));
        if let Some(each) = self.each {
            names.push("each.key".into());
            match &each.value {
                Some(_) => names.push("each.value".into()),
                None => names.extend(each.fields.keys().map(|f| format!("each.value.{f}"))),
            }
        }
        names
    }

    /// `${each...}`: the key, the value, a field of the value.
    fn each_value(&self, name: &str) -> Result<Option<String>, InterpolationError> {
        let Some(each) = self.each else {
            return Err(InterpolationError {
                message: format!("`${{{name}}}` is only known where there is a for_each"),
                help: "use it in a table with for_each, or in the variables of a module called with for_each".into(),
            });
        };
        Ok(match name {
            "each.key" => Some(each.key.clone()),
            "each.value" => match &each.value {
                Some(v) => Some(v.clone()),
                None => {
                    return Err(InterpolationError {
                        message: format!("`${{each.value}}` of {:?} is a table", each.key),
                        help: format!(
                            "use one of its fields: {}",
                            each.fields.keys().map(|f| format!("${{each.value.{f}}}")).collect::<Vec<_>>().join(", ")
                        ),
                    })
                }
            },
            _ => name.strip_prefix("each.value.").and_then(|f| each.fields.get(f)).cloned(),
        })
    }

    /// The value of `name`; a variable's own `${...}` are expanded (a cycle is an error).
    fn lookup(&self, name: &str, expanding: &mut Expansion) -> Result<Option<String>, InterpolationError> {
        Ok(match name {
            "stack.name" => Some(self.stack_name.to_string()),
            "aws.region" => Some(self.region.to_string()),
            "aws.account_id" => Some(self.account_id.to_string()),
            _ if name.starts_with("each.") => self.each_value(name)?,
            _ if name.ends_with(".arn") || name.ends_with(".name") => match self.attributes.and_then(|a| a(name)) {
                Some(Ok(value)) => Some(value),
                Some(Err(message)) => {
                    return Err(InterpolationError {
                        message,
                        help: "a resource's ARN or name may be used in resources of the kinds built after it".into(),
                    })
                }
                // Not a resource's: a variable of that name (`${var.name}`).
                None => self.variable(name, expanding)?,
            },
            _ => self.variable(name, expanding)?,
        })
    }

    /// The value of the variable `name` names (`var.NAME`), its own `${...}` expanded.
    fn variable(&self, name: &str, expanding: &mut Expansion) -> Result<Option<String>, InterpolationError> {
        Ok(match name.strip_prefix("var.").and_then(|v| self.variables.get(v).map(|value| (v, value))) {
            Some((v, value)) => {
                if let Some(done) = expanding.done.get(v) {
                    return Ok(Some(done.clone()));
                }
                if expanding.chain.iter().any(|e| e == v) {
                    expanding.chain.push(v.to_string());
                    return Err(InterpolationError {
                        message: format!(
                            "the variables {} refer to each other in a cycle",
                            expanding.chain.join(" -> ")
                        ),
                        help: "a variable's default may use other variables, never itself through them".into(),
                    });
                }
                expanding.chain.push(v.to_string());
                let expanded = self.expand(value, expanding)?;
                expanding.chain.pop();
                expanding.done.insert(v.to_string(), expanded.clone());
                Some(expanded)
            }
            None => None,
        })
    }

    /// [`Values::interpolate`] where only variables are known (the stack's name and region):
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
        self.expand(text, &mut Expansion::default())
    }

    fn expand(&self, text: &str, expanding: &mut Expansion) -> Result<String, InterpolationError> {
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
                    let hint = crate::model::diagnostic::did_you_mean(name, known.iter().map(String::as_str))
                        .map(|s| format!("did you mean `${{{s}}}`? "))
                        .unwrap_or_default();
                    InterpolationError {
                        message: format!("unknown variable `${{{name}}}`"),
                        help: format!("{hint}known: {}", known.join(", ")),
                    }
                })?;
                if out.len() + value.len() > MAX_VALUE_BYTES {
                    let mut chain: Vec<String> = expanding.chain.iter().map(|v| format!("${{var.{v}}}")).collect();
                    chain.push(format!("${{{name}}}"));
                    if chain.len() > 6 {
                        chain.splice(3..chain.len() - 2, ["...".to_string()]);
                    }
                    return Err(InterpolationError {
                        message: format!(
                            "the value grows past {} KiB through {}",
                            MAX_VALUE_BYTES / 1024,
                            chain.join(" -> ")
                        ),
                        help: "no AWS field takes that much: variables that repeat each other multiply their size"
                            .into(),
                    });
                }
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

    fn with<R>(f: impl FnOnce(&Values) -> R) -> R {
        let vars = strings([("stream_name", "PUT-S3")]);
        f(&Values::new(&vars, "demo", "us-east-1", "123456789012"))
    }

    /// A map of strings from pairs.
    fn strings<const N: usize>(pairs: [(&str, &str); N]) -> BTreeMap<String, String> {
        pairs.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
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
        let vars = strings([
            ("env", "prod"),
            ("stream", "events-${var.env}-${aws.region}"),
            ("a", "${var.b}"),
            ("b", "x${var.a}"),
        ]);
        let c = Values::new(&vars, "demo", "eu-west-1", "1");
        assert_eq!(c.interpolate("s-${var.stream}").unwrap(), "s-events-prod-eu-west-1");
        let e = c.interpolate("${var.a}").unwrap_err();
        assert!(e.message.contains("a -> b -> a"), "{}", e.message);
    }

    #[test]
    fn a_variable_named_like_an_attribute_is_a_variable_when_no_resource_has_that_address() {
        let vars = strings([("tenant", "acme"), ("name", "${var.tenant}"), ("arn", "arn:x")]);
        let attributes = |name: &str| (name == "bucket.data.name").then(|| Ok("the-bucket".to_string()));
        let c = Values { attributes: Some(&attributes), ..Values::new(&vars, "demo", "eu-west-1", "1") };
        assert_eq!(c.interpolate("PUT-S3-${var.name}").unwrap(), "PUT-S3-acme");
        assert_eq!(c.interpolate("${var.arn}").unwrap(), "arn:x");
        assert_eq!(c.interpolate("${bucket.data.name}").unwrap(), "the-bucket");
        assert!(c.interpolate("${bucket.other.name}").is_err(), "neither a resource nor a variable");
    }

    #[test]
    fn variables_doubling_each_other_are_stopped_by_size_naming_the_chain_and_expanded_once() {
        // v0 = "xx", v1 = "${var.v0}${var.v0}", ... v40: 2^41 bytes if expanded.
        let mut vars = strings([("v0", "xx")]);
        for i in 1..=40 {
            vars.insert(format!("v{i}"), format!("${{var.v{}}}${{var.v{}}}", i - 1, i - 1));
        }
        let c = Values::new(&vars, "demo", "eu-west-1", "1");
        let e = c.interpolate("${var.v40}").unwrap_err();
        assert!(
            e.message.contains("grows past 256 KiB through ${var.v40} -> ${var.v39} -> ${var.v38} -> ... ->"),
            "{}",
            e.message
        );
        // Up to the limit, each variable is expanded once, however often it is used.
        assert_eq!(c.interpolate("${var.v16}").unwrap().len(), 2 << 16);
        let bound = (MAX_VALUE_BYTES / 2).ilog2() as usize;
        assert!(c.interpolate(&format!("${{var.v{bound}}}")).is_ok());
        assert!(c.interpolate(&format!("${{var.v{}}}", bound + 1)).is_err());
    }

    #[test]
    fn unclosed_expression_is_an_error() {
        assert!(with(|c| c.interpolate("${var.x")).is_err());
    }

    #[test]
    fn each_key_value_and_fields_are_known_where_there_is_a_for_each() {
        let vars = BTreeMap::new();
        let each = Each { key: "acme".into(), value: None, fields: strings([("region", "eu")]) };
        let c = Values { each: Some(&each), ..Values::new(&vars, "s", "r", "1") };
        assert_eq!(c.interpolate("${each.key}-${each.value.region}").unwrap(), "acme-eu");
        assert!(c.interpolate("${each.value}").unwrap_err().help.contains("${each.value.region}"));
        let none = Values::new(&vars, "s", "r", "1");
        assert!(none.interpolate("${each.key}").unwrap_err().message.contains("only known where there is a for_each"));
    }
}
