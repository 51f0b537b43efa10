//! The lint rules: operations in up sections that lock, rewrite or lose data on a live database, found from
//! the statements' tokens alone (no database, no I/O), and the `-- dbkit:allow <rule> <reason>` comments that
//! accept one of them for one revision.
//!
//! The rules are written over dbkit's own statement splitter and tokenizer rather than taken from a
//! PostgreSQL linter crate: the crate that has them needs a newer compiler than dbkit supports and brings a
//! full SQL parser with it, and dbkit needs what such a crate does not know (dialect sections,
//! `transaction:false`, tables created earlier in the same revision). The ids are that linter's, where it
//! has the rule. See docs/verify.md.

mod check;
mod rules;
mod statement;

pub(crate) use check::Linter;
pub use rules::{Rule, Severity};

/// One rule broken at one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub rule: Rule,
    pub line: usize,
    /// What the statement does, with its table and column.
    pub message: String,
}

/// A `-- dbkit:allow <rule> <reason>` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Allow {
    pub rule: Rule,
    pub reason: String,
    pub line: usize,
}

/// The marker of an allow comment, after `--`.
const ALLOW: &str = "dbkit:allow";

/// The allow comments of a revision file (any line, header or section), and a finding for each one that
/// names no known rule or gives no reason.
pub(crate) fn allow_comments(text: &str) -> (Vec<Allow>, Vec<Hit>) {
    let mut allows = Vec::new();
    let mut bad = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some(comment) = line.split_once("--").map(|(_, c)| c.trim_start()) else {
            continue;
        };
        let Some(rest) = comment.strip_prefix(ALLOW) else {
            continue;
        };
        // `-- dbkit:allowed …` is prose, not an allow comment.
        if rest.starts_with(|c: char| !c.is_whitespace()) {
            continue;
        }
        let line = index + 1;
        let rest = rest.trim();
        let (id, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let reason = reason.trim();
        match Rule::from_id(id) {
            Some(rule) if !reason.is_empty() && rule != Rule::InvalidAllowComment => {
                allows.push(Allow {
                    rule,
                    reason: reason.to_string(),
                    line,
                })
            }
            Some(_) => bad.push(Hit {
                rule: Rule::InvalidAllowComment,
                line,
                message: format!("'-- {ALLOW} {id}' gives no reason"),
            }),
            None => bad.push(Hit {
                rule: Rule::InvalidAllowComment,
                line,
                message: if id.is_empty() {
                    format!("'-- {ALLOW}' names no rule")
                } else {
                    format!("'-- {ALLOW} {id}' names no known rule")
                },
            }),
        }
    }
    (allows, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_comments_need_a_known_rule_and_a_reason() {
        let text = "-- msg\n-- migrate:up\n-- dbkit:allow ban-drop-column  the column was never read\nDROP TABLE t; -- dbkit:allow ban-drop-table\n--dbkit:allow no-such-rule why\n-- dbkit:allowed prose\n-- dbkit:allow\n";
        let (allows, bad) = allow_comments(text);
        assert_eq!(
            allows,
            vec![Allow {
                rule: Rule::BanDropColumn,
                reason: "the column was never read".into(),
                line: 3
            }]
        );
        let bad: Vec<(usize, &str)> = bad.iter().map(|h| (h.line, h.message.as_str())).collect();
        assert_eq!(
            bad,
            vec![
                (4, "'-- dbkit:allow ban-drop-table' gives no reason"),
                (5, "'-- dbkit:allow no-such-rule' names no known rule"),
                (7, "'-- dbkit:allow' names no rule"),
            ]
        );
    }

    #[test]
    fn rule_ids_are_unique_and_read_back() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_id(rule.id()), Some(rule));
        }
        assert_eq!(Rule::from_id("nope"), None);
    }
}
