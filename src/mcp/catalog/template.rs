//! URI templates for resource templates, at RFC 6570 level 1 as MCP uses them
//! (`test://template/{id}/data`): literal text and `{name}` variables, each matching a
//! non-empty run of characters without `/`, `?` or `#`.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(String),
}

/// A parsed URI template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriTemplate {
    parts: Vec<Part>,
}

impl UriTemplate {
    /// Parses `template`; `Err` names what is wrong (unbalanced braces, an empty or
    /// non-identifier variable name, two variables side by side, no variable at all).
    pub fn parse(template: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest
                        .find('}')
                        .ok_or_else(|| format!("unclosed `{{` in {template:?}"))?;
                    let name = &rest[1..end];
                    let valid = !name.is_empty()
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !valid {
                        return Err(format!("bad variable name {name:?} in {template:?}"));
                    }
                    if matches!(parts.last(), Some(Part::Variable(_))) {
                        return Err(format!("two variables side by side in {template:?}"));
                    }
                    parts.push(Part::Variable(name.to_owned()));
                    rest = &rest[end + 1..];
                }
                found => {
                    let end = found.unwrap_or(rest.len());
                    let literal = &rest[..end];
                    if literal.contains('}') {
                        return Err(format!("stray `}}` in {template:?}"));
                    }
                    parts.push(Part::Literal(literal.to_owned()));
                    rest = &rest[end..];
                }
            }
        }
        if !parts.iter().any(|p| matches!(p, Part::Variable(_))) {
            return Err(format!(
                "{template:?} has no variable; declare it as a resource"
            ));
        }
        Ok(Self { parts })
    }

    /// A template that matches nothing, standing in for one that failed to parse.
    pub(super) fn nothing() -> Self {
        Self { parts: Vec::new() }
    }

    pub fn matches(&self, uri: &str) -> bool {
        self.variables(uri).is_some()
    }

    /// The value of each variable when `uri` fits the template.
    pub fn variables(&self, uri: &str) -> Option<BTreeMap<String, String>> {
        if self.parts.is_empty() {
            return None;
        }
        let mut values = BTreeMap::new();
        let mut rest = uri;
        let mut parts = self.parts.iter().peekable();
        while let Some(part) = parts.next() {
            match part {
                Part::Literal(text) => rest = rest.strip_prefix(text.as_str())?,
                Part::Variable(name) => {
                    let stop = |c: char| matches!(c, '/' | '?' | '#');
                    let segment_end = rest.find(stop).unwrap_or(rest.len());
                    // The value ends where the next literal starts (within this segment).
                    let end = match parts.peek() {
                        Some(Part::Literal(next)) => rest[..segment_end]
                            .find(next.as_str())
                            .or_else(|| next.starts_with(stop).then_some(segment_end))?,
                        _ => segment_end,
                    };
                    if end == 0 {
                        return None;
                    }
                    values.insert(name.clone(), rest[..end].to_owned());
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty().then_some(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_extracts_one_segment_per_variable() {
        let template = UriTemplate::parse("test://template/{id}/data").unwrap();
        let values = template.variables("test://template/123/data").unwrap();
        assert_eq!(values.get("id").map(String::as_str), Some("123"));
        assert!(!template.matches("test://template//data"));
        assert!(!template.matches("test://template/1/2/data"));
        assert!(!template.matches("test://template/123/data/extra"));
        assert!(!template.matches("test://other/123/data"));
    }

    #[test]
    fn variables_may_end_a_template_or_sit_inside_a_segment() {
        let tail = UriTemplate::parse("files://{name}").unwrap();
        assert!(tail.matches("files://notes"));
        assert!(!tail.matches("files://notes/more"));
        let inner = UriTemplate::parse("db://row-{id}.json").unwrap();
        let values = inner.variables("db://row-7.json").unwrap();
        assert_eq!(values.get("id").map(String::as_str), Some("7"));
    }

    #[test]
    fn malformed_templates_are_refused_with_the_reason() {
        for bad in [
            "x://{id",
            "x://{}",
            "x://{a b}",
            "x://{a}{b}",
            "x://plain",
            "x://a}",
        ] {
            assert!(UriTemplate::parse(bad).is_err(), "{bad}");
        }
    }
}
