//! The text of `verify`: a line per revision on each engine, the problems of a failed one under it, and a
//! count per engine.

use std::fmt::Write;

use super::Render;
use crate::command::{Verified, VerifyStatus};

impl Render for Verified {
    fn text(&self) -> String {
        let mut out = String::new();
        for d in &self.dialects {
            let count = |status| d.revisions.iter().filter(|r| r.status == status).count();
            for r in &d.revisions {
                let status = match r.status {
                    VerifyStatus::Verified => "ok (up, down, up again)",
                    VerifyStatus::NoDown => "no down section; applied, not reverted",
                    VerifyStatus::Failed => "FAILED",
                };
                let _ = writeln!(out, "{}: {} {}: {status}", d.dialect, r.revision, r.message);
                for p in &r.problems {
                    let _ = writeln!(out, "  {}", p.message);
                }
            }
            let _ = write!(
                out,
                "{}: {} revision(s) verified, {} without a down section",
                d.dialect,
                count(VerifyStatus::Verified),
                count(VerifyStatus::NoDown)
            );
            if count(VerifyStatus::Failed) > 0 {
                out.push_str(", stopped at the first that failed");
            }
            out.push('\n');
        }
        out
    }
}
