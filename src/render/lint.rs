//! The text of `lint`: each finding with its file and line, why it is dangerous and what to write instead; the
//! findings allow comments accepted, with their reasons; a summary line.

use super::Render;
use crate::command::{AllowedFinding, Lint, LintFinding};

/// One finding as `file:line: [rule, dialect] message`, then its why and its safe pattern on their own lines.
pub(crate) fn finding(f: &LintFinding) -> String {
    let dialect = f.dialect.map(|d| format!(", {d}")).unwrap_or_default();
    format!(
        "{}:{}: [{}{dialect}] {}\n    why: {}\n    instead: {}",
        f.file, f.line, f.rule, f.message, f.why, f.instead
    )
}

fn allowed(a: &AllowedFinding) -> String {
    format!(
        "allowed: {}:{}: [{}, {}] {} (allowed at line {}: {})",
        a.file, a.line, a.rule, a.dialect, a.message, a.allowed_at, a.reason
    )
}

impl Render for Lint {
    fn text(&self) -> String {
        let mut text = String::new();
        for f in &self.findings {
            text.push_str(&format!("{}: {}\n", f.severity.name(), finding(f)));
        }
        for a in &self.allowed {
            text.push_str(&allowed(a));
            text.push('\n');
        }
        let dialects: Vec<&str> = self.dialects.iter().map(|d| d.name()).collect();
        let scope = format!("{} revision(s) ({})", self.revisions, dialects.join(", "));
        if self.findings.is_empty() {
            text.push_str(&format!("lint: no findings in {scope}"));
        } else {
            text.push_str(&format!(
                "lint: {} error(s), {} warning(s) in {scope}",
                self.errors(),
                self.warnings()
            ));
        }
        if !self.allowed.is_empty() {
            text.push_str(&format!("; {} allowed", self.allowed.len()));
        }
        if !self.disabled.is_empty() {
            text.push_str(&format!(
                "; disabled in the ini file: {}",
                self.disabled.join(", ")
            ));
        }
        text.push('\n');
        text
    }
}
