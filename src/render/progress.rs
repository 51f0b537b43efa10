//! The lines a running verb's [`Event`]s print on stderr: progress, which `-q` silences, and warnings, which it
//! never does.

use std::time::Duration;

use crate::progress::Event;

/// The progress line an event prints unless quiet; none for an event that is only a warning.
pub fn line(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Waiting(m) | Event::NothingToDo(m) | Event::Note(m) => Some(m.to_string()),
        Event::Done(step, elapsed) => {
            Some(format!("{} ({})", step.log_line(true), millis(*elapsed)))
        }
        Event::Lint(_) => None,
    }
}

/// The warning an event carries, printed even when quiet: a step that ran no SQL where some was expected, or
/// a lint finding in a revision about to be applied.
pub fn warning(event: &Event<'_>) -> Option<String> {
    match event {
        Event::Done(step, _) => step.warning().map(|w| format!("WARNING: {w}")),
        Event::Lint(finding) => Some(format!("WARNING: {}", super::lint::finding(finding))),
        Event::Waiting(_) | Event::NothingToDo(_) | Event::Note(_) => None,
    }
}

/// Every line an event prints when not quiet (its progress line, then its warning): what an application that
/// embeds dbkit logs.
pub fn lines(event: &Event<'_>) -> impl Iterator<Item = String> {
    line(event).into_iter().chain(warning(event))
}

/// A step's duration for its progress line.
fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
