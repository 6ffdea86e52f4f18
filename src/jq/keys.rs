//! Keys of a jq object constructor (`{region: .region, "device": .type.device}`), for rule P16.

/// The top-level keys the query's object constructor emits, or `None` if it is not one.
pub fn object_keys(query: &str) -> Option<Vec<String>> {
    let body = query.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut keys = Vec::new();
    for entry in split_top_level(body) {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let key = match split_top_level_colon(entry) {
            Some((key, _)) => key.trim(),
            None => entry.trim_start_matches('$').trim_start_matches('.'),
        };
        let key = key.trim_matches('"');
        if key.is_empty() || key.contains(['(', ')', '[', ']']) {
            return None;
        }
        keys.push(key.to_string());
    }
    Some(keys)
}

/// Splits on commas outside brackets, braces, parentheses and strings.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        match c {
            '"' if prev != '\\' => quoted = !quoted,
            '{' | '[' | '(' if !quoted => depth += 1,
            '}' | ']' | ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        prev = c;
    }
    parts.push(&text[start..]);
    parts
}

fn split_top_level_colon(entry: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    let mut prev = ' ';
    for (i, c) in entry.char_indices() {
        match c {
            '"' if prev != '\\' => quoted = !quoted,
            ':' if !quoted => return Some((&entry[..i], &entry[i + 1..])),
            _ => {}
        }
        prev = c;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_object_constructors() {
        assert_eq!(
            object_keys("{customer_id: .customer_id, \"device\": .type.device}").unwrap(),
            vec!["customer_id", "device"]
        );
        assert_eq!(object_keys("{ year: .ts | strftime(\"%Y\"), region }").unwrap(), vec!["year", "region"]);
        assert_eq!(object_keys("{a: {b: .c, d: .e}}").unwrap(), vec!["a"]);
    }

    #[test]
    fn other_queries_are_not_object_constructors() {
        assert_eq!(object_keys(".customer_id"), None);
        assert_eq!(object_keys(""), None);
    }
}
