//! A prefix's Athena partition projection: one partition column per partition key (`injected`,
//! or `enum` / `integer` as declared) and per timestamp part (`integer` for a lone month, day,
//! hour, minute or second; `date` otherwise), and the location template (the prefix with each
//! expression replaced by its column).

use super::*;

/// One partition column and how Athena projects its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Projected {
    pub column: String,
    /// The prefix expression it stands for, as written.
    pub expression: String,
    pub projection: Projection,
}

/// Athena partition projection types.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    Injected,
    Enum(Vec<String>),
    Integer { range: [i64; 2], digits: Option<u32> },
    Date { format: String, range: String, unit: &'static str },
}

impl Projected {
    /// The column's type.
    pub(super) fn column_type(&self) -> &'static str {
        match self.projection {
            Projection::Integer { .. } => "int",
            _ => "string",
        }
    }

    /// The `projection.<column>.*` parameters.
    pub(super) fn parameters(&self, out: &mut BTreeMap<String, String>) {
        let key = |k: &str| format!("projection.{}.{k}", self.column);
        match &self.projection {
            Projection::Injected => {
                out.insert(key("type"), "injected".into());
            }
            Projection::Enum(values) => {
                out.insert(key("type"), "enum".into());
                out.insert(key("values"), values.join(","));
            }
            Projection::Integer { range, digits } => {
                out.insert(key("type"), "integer".into());
                out.insert(key("range"), format!("{},{}", range[0], range[1]));
                if let Some(digits) = digits {
                    out.insert(key("digits"), digits.to_string());
                }
            }
            Projection::Date { format, range, unit } => {
                out.insert(key("type"), "date".into());
                out.insert(key("format"), format.clone());
                out.insert(key("range"), range.clone());
                out.insert(key("interval"), "1".into());
                out.insert(key("interval.unit"), (*unit).into());
            }
        }
    }
}

/// A prefix's projection: its partition columns and the location template.
#[derive(Debug, Clone, PartialEq)]
pub struct PrefixProjection {
    pub columns: Vec<Projected>,
    /// `s3://bucket/` + the prefix with each expression replaced by `${column}`.
    pub template: String,
    /// `s3://bucket/` + the prefix's literal start.
    pub location: String,
}

/// Why a prefix cannot be projected: the rule, the expression, what is wrong, what would do.
#[derive(Debug, Clone, PartialEq)]
pub struct Unprojectable {
    pub rule: crate::model::diagnostic::Rule,
    pub message: String,
    pub help: String,
    /// The partition declaration at fault, if one is.
    pub partition: Option<String>,
}

fn unprojectable(rule: crate::model::diagnostic::Rule, message: String, help: impl Into<String>) -> Unprojectable {
    Unprojectable { rule, message, help: help.into(), partition: None }
}

/// The projection of `prefix` (a stream's, as evaluated by Firehose) over `bucket`, with the
/// partition keys' declared projections and the first day dates cover (`since`, `YYYY-MM-DD`).
pub fn project(
    prefix: &str,
    bucket: &str,
    declared: &BTreeMap<String, PartitionSection>,
    since: chrono::NaiveDate,
) -> Result<PrefixProjection, Vec<Unprojectable>> {
    let parts = parse(prefix).map_err(|e| {
        vec![unprojectable(
            crate::model::diagnostic::Rule::T2,
            format!("the prefix cannot be parsed: {}", e.message),
            "see rules P3-P5",
        )]
    })?;
    let mut parts = parts;
    if !parts.iter().any(|p| matches!(p, Part::Expression { .. })) {
        // Firehose appends `yyyy/MM/dd/HH/` to a prefix without expressions (rule P17).
        parts.push(Part::Expression { namespace: "timestamp".into(), value: FIREHOSE_DEFAULT_PATTERN.into() });
        parts.push(Part::Literal("/".into()));
    }
    let mut errors = Vec::new();
    let mut columns: Vec<Projected> = Vec::new();
    let mut template = format!("s3://{bucket}/");
    let mut location = format!("s3://{bucket}/");
    let mut literal_start = true;
    for (i, part) in parts.iter().enumerate() {
        let (namespace, value) = match part {
            Part::Literal(text) => {
                template.push_str(text);
                if literal_start {
                    location.push_str(text);
                }
                continue;
            }
            Part::Expression { namespace, value } => (namespace.as_str(), value.as_str()),
        };
        literal_start = false;
        let expression = format!("!{{{namespace}:{value}}}");
        // The column is named by the Hive-style `name=` before the expression, else by the key.
        let hive_name = match i.checked_sub(1).map(|j| &parts[j]) {
            Some(Part::Literal(text)) => text.rsplit('/').next().and_then(|t| t.strip_suffix('=')).map(String::from),
            _ => None,
        };
        let projected = match namespace {
            "partitionKeyFromLambda" | "partitionKeyFromQuery" => {
                let column = hive_name.unwrap_or_else(|| value.to_string());
                declared_projection(value, declared.get(value))
                    .map_err(|e| Unprojectable { partition: Some(value.to_string()), ..e })
                    .map(|projection| Projected { column, expression: expression.clone(), projection })
            }
            "timestamp" => timestamp_projection(value, since).map(|projection| Projected {
                column: hive_name.unwrap_or_else(|| "dt".into()),
                expression: expression.clone(),
                projection,
            }),
            _ => Err(unprojectable(
                crate::model::diagnostic::Rule::T2,
                format!("`{expression}` cannot be projected: its value is not known before it is written"),
                "a table over this stream needs a prefix of partition keys and timestamps only",
            )),
        };
        match projected {
            Ok(p) => {
                if columns.iter().any(|c| c.column == p.column) {
                    errors.push(unprojectable(
                        crate::model::diagnostic::Rule::T2,
                        format!("`{expression}` would be a second partition column `{}`", p.column),
                        "name each expression's column with a distinct `name=` before it",
                    ));
                }
                template.push_str(&format!("${{{}}}", p.column));
                columns.push(p);
            }
            Err(e) => errors.push(e),
        }
    }
    for key in declared.keys() {
        let used = columns.iter().any(|c| c.expression.ends_with(&format!(":{key}}}")));
        if !used {
            let keys = columns.iter().filter_map(|c| c.expression.split(':').nth(1)).map(|k| k.trim_end_matches('}'));
            let hint = did_you_mean(key, keys).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
            errors.push(Unprojectable {
                partition: Some(key.clone()),
                ..unprojectable(
                    crate::model::diagnostic::Rule::T3,
                    format!("partition `{key}` is not a partition key of the stream's prefix"),
                    format!("{hint}declare only keys the prefix uses as !{{partitionKeyFrom...:{key}}}"),
                )
            });
        }
    }
    if !template.ends_with('/') {
        errors.push(unprojectable(
            crate::model::diagnostic::Rule::T2,
            "the prefix does not end with `/`: object names run into the last partition value".into(),
            "end the stream's prefix with `/`",
        ));
    }
    // The location is the literal start up to its last `/`: a "directory".
    let location = location.rfind('/').map_or(location.clone(), |end| location[..=end].to_string());
    if errors.is_empty() {
        Ok(PrefixProjection { columns, template, location })
    } else {
        Err(errors)
    }
}

/// How a partition key is projected: as declared, `injected` by default.
fn declared_projection(key: &str, declared: Option<&PartitionSection>) -> Result<Projection, Unprojectable> {
    let Some(p) = declared else { return Ok(Projection::Injected) };
    let what = |message: String, help: &str| Err(unprojectable(crate::model::diagnostic::Rule::T3, message, help));
    match p.kind.as_deref().unwrap_or("injected") {
        "injected" => Ok(Projection::Injected),
        "enum" if p.values.is_empty() => {
            what(format!("partition `{key}`: an enum needs its `values`"), "values = [\"a\", \"b\"]")
        }
        "enum" if p.values.iter().any(|v| v.is_empty() || v.contains(',')) => {
            what(format!("partition `{key}`: enum values are not empty and hold no `,`"), "values = [\"a\", \"b\"]")
        }
        "enum" => Ok(Projection::Enum(p.values.clone())),
        "integer" => match p.range {
            Some([lo, hi]) if lo <= hi && p.digits.is_none_or(|d| (1..=18).contains(&d)) => {
                Ok(Projection::Integer { range: [lo, hi], digits: p.digits })
            }
            _ => what(
                format!("partition `{key}`: an integer projection needs `range = [LOW, HIGH]` with LOW <= HIGH"),
                "range = [1, 12], digits = 2",
            ),
        },
        other => what(
            format!("partition `{key}`: unknown projection type {other:?}"),
            "type is injected (default), enum (with values) or integer (with range)",
        ),
    }
}

/// How a timestamp part is projected: a lone month, day, hour, minute or second as a zero-padded
/// integer over its natural range; anything else (a year, several fields) as a date.
fn timestamp_projection(pattern: &str, since: chrono::NaiveDate) -> Result<Projection, Unprojectable> {
    let natural = [("MM", 1, 12), ("dd", 1, 31), ("HH", 0, 23), ("mm", 0, 59), ("ss", 0, 59)];
    if let Some((_, lo, hi)) = natural.iter().find(|(p, _, _)| *p == pattern) {
        return Ok(Projection::Integer { range: [*lo, *hi], digits: Some(2) });
    }
    let mut unit = None;
    let mut letters = pattern.chars().peekable();
    let mut quoted = false;
    while let Some(c) = letters.next() {
        if c == '\'' {
            quoted = !quoted;
            continue;
        }
        if quoted || !c.is_ascii_alphabetic() {
            continue;
        }
        let mut count = 1;
        while letters.peek() == Some(&c) {
            letters.next();
            count += 1;
        }
        let field_unit = match (c, count) {
            ('y', 4) => "YEARS",
            ('M', 2) => "MONTHS",
            ('d', 2) => "DAYS",
            ('H', 2) => "HOURS",
            ('m', 2) => "MINUTES",
            ('s', 2) => "SECONDS",
            _ => {
                return Err(unprojectable(
                    crate::model::diagnostic::Rule::T2,
                    format!(
                        "`!{{timestamp:{pattern}}}` cannot be projected: `{}` is not a fixed-width number",
                        c.to_string().repeat(count)
                    ),
                    "use yyyy, MM, dd, HH, mm, ss and separators",
                ))
            }
        };
        let finer = |u: &str| ["YEARS", "MONTHS", "DAYS", "HOURS", "MINUTES", "SECONDS"].iter().position(|x| *x == u);
        if unit.is_none_or(|u| finer(field_unit) > finer(u)) {
            unit = Some(field_unit);
        }
    }
    let unit = unit.ok_or_else(|| {
        unprojectable(
            crate::model::diagnostic::Rule::T2,
            format!("`!{{timestamp:{pattern}}}` has no date or time field to project"),
            "use yyyy, MM, dd, HH, mm, ss",
        )
    })?;
    let start = since.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_default();
    let first = crate::prefix::timefmt::format(pattern, start).map_err(|e| {
        unprojectable(crate::model::diagnostic::Rule::T2, format!("`!{{timestamp:{pattern}}}`: {}", e.0), "see rule P6")
    })?;
    Ok(Projection::Date { format: pattern.to_string(), range: format!("{first},NOW"), unit })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{stack, DEFAULT_STACK};

    fn since() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
    }

    fn columns(p: &PrefixProjection) -> Vec<(&str, &Projection)> {
        p.columns.iter().map(|c| (c.column.as_str(), &c.projection)).collect()
    }

    #[test]
    fn the_default_stacks_prefix_projects_six_columns_into_its_template() {
        let text = format!(
            "{DEFAULT_STACK}\n[table.events]\nname = \"events\"\ndatabase = \"firehose_dp\"\nstream = \"firehose.events\"\n\
             columns = {{ customer_id = \"string\", amount = \"double\" }}\n"
        );
        let s = stack(&text);
        let table = s
            .resources
            .iter()
            .find_map(|r| match &r.spec {
                crate::model::Spec::Table(t) => Some(t),
                _ => None,
            })
            .unwrap();
        let bucket = crate::testing::BUCKET;
        assert_eq!(
            table.parameters["storage.location.template"],
            format!("s3://{bucket}/region=${{region}}/device=${{device}}/year=${{year}}/month=${{month}}/day=${{day}}/hour=${{hour}}/")
        );
        let keys: Vec<&str> = table.partition_keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["region", "device", "year", "month", "day", "hour"]);
        assert_eq!(table.parameters["projection.device.type"], "injected");
        assert_eq!(table.parameters["projection.enabled"], "true");
        assert_eq!(table.location, format!("s3://{bucket}/"));
        assert_eq!(table.serde, JSON_SERDE);
        assert_eq!(table.name, "firehose_dp/events");
        // Ownership markers only: Glue keeps them as parameters.
        assert_eq!(table.tags.keys().collect::<Vec<_>>(), [ADDRESS_TAG, crate::model::HOME_TAG, OWNER_TAG]);
    }

    #[test]
    fn timestamps_project_as_integers_or_dates_and_keys_as_declared() {
        let declared = BTreeMap::from([(
            "region".to_string(),
            PartitionSection {
                kind: Some("enum".into()),
                values: vec!["eu".into(), "us".into()],
                range: None,
                digits: None,
            },
        )]);
        let p = project(
            "logs/region=!{partitionKeyFromQuery:region}/!{timestamp:yyyy/MM/dd}/hour=!{timestamp:HH}/",
            "b",
            &declared,
            since(),
        )
        .unwrap();
        assert_eq!(p.template, "s3://b/logs/region=${region}/${dt}/hour=${hour}/");
        assert_eq!(p.location, "s3://b/logs/");
        assert_eq!(
            columns(&p),
            [
                ("region", &Projection::Enum(vec!["eu".into(), "us".into()])),
                ("dt", &Projection::Date { format: "yyyy/MM/dd".into(), range: "2024/01/01,NOW".into(), unit: "DAYS" }),
                ("hour", &Projection::Integer { range: [0, 23], digits: Some(2) }),
            ]
        );
        // A prefix without expressions: Firehose appends yyyy/MM/dd/HH/.
        let p = project("raw/", "b", &BTreeMap::new(), since()).unwrap();
        assert_eq!(p.template, "s3://b/raw/${dt}/");
        assert!(matches!(&p.columns[0].projection, Projection::Date { unit: "HOURS", .. }));
    }

    #[test]
    fn what_cannot_be_projected_is_named() {
        let rule_and_message = |prefix: &str, declared: &BTreeMap<String, PartitionSection>| {
            project(prefix, "b", declared, since())
                .unwrap_err()
                .into_iter()
                .map(|e| (e.rule, e.message))
                .collect::<Vec<_>>()
        };
        let random = rule_and_message("x/!{firehose:random-string}/", &BTreeMap::new());
        assert_eq!(random[0].0, "T2");
        assert!(random[0].1.contains("`!{firehose:random-string}` cannot be projected"), "{random:?}");
        let month_name = rule_and_message("m=!{timestamp:MMM}/", &BTreeMap::new());
        assert!(month_name[0].1.contains("`MMM` is not a fixed-width number"), "{month_name:?}");
        let open_end = rule_and_message("k=!{partitionKeyFromQuery:k}", &BTreeMap::new());
        assert!(open_end[0].1.contains("does not end with `/`"), "{open_end:?}");
        let twice = rule_and_message("a=!{partitionKeyFromQuery:x}/a=!{partitionKeyFromQuery:y}/", &BTreeMap::new());
        assert!(twice[0].1.contains("second partition column `a`"), "{twice:?}");
        let unknown = BTreeMap::from([(
            "regoin".to_string(),
            PartitionSection { kind: Some("enum".into()), values: vec!["a".into()], range: None, digits: None },
        )]);
        let typo = rule_and_message("region=!{partitionKeyFromQuery:region}/", &unknown);
        assert_eq!(typo[0].0, "T3");
        assert!(typo[0].1.contains("`regoin` is not a partition key"), "{typo:?}");
        let bad = BTreeMap::from([(
            "k".to_string(),
            PartitionSection { kind: Some("integer".into()), values: vec![], range: Some([5, 1]), digits: None },
        )]);
        assert_eq!(rule_and_message("k=!{partitionKeyFromQuery:k}/", &bad)[0].0, "T3");
    }
}
