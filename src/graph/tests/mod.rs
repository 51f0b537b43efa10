//! Unit tests of the graph, by the part they exercise, with the small graphs and helpers they share.

mod build;
mod plan;
mod relative;
mod resolve;
mod scale;

use super::*;

type Spec<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str]);

fn revs(spec: &[Spec<'_>]) -> Vec<Revision> {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    spec.iter()
        .map(|(id, down, deps, labels)| Revision {
            id: id.to_string(),
            down: v(down),
            depends_on: v(deps),
            branch_labels: v(labels),
        })
        .collect()
}

fn map(spec: &[Spec<'_>]) -> RevisionMap {
    RevisionMap::new(revs(spec)).expect("valid graph")
}

fn err(spec: &[Spec<'_>]) -> GraphError {
    RevisionMap::new(revs(spec)).expect_err("invalid graph")
}

fn rows(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn ins(s: &str) -> VersionOp {
    VersionOp::Insert(s.into())
}

fn del(s: &str) -> VersionOp {
    VersionOp::Delete(s.into())
}

fn upd(a: &str, b: &str) -> VersionOp {
    VersionOp::Update {
        from: a.into(),
        to: b.into(),
    }
}

fn order(steps: &[Step]) -> Vec<&str> {
    steps
        .iter()
        .map(|s| s.revision().unwrap_or("<base>"))
        .collect()
}

fn ops(steps: &[Step]) -> Vec<VersionOp> {
    steps.iter().flat_map(|s| s.version_ops.clone()).collect()
}

/// Applies the planned operations to a set of rows, as a database would.
fn apply(start: &[&str], steps: &[Step]) -> Vec<String> {
    let mut rows: Vec<String> = rows(start);
    for op in ops(steps) {
        match op {
            VersionOp::Insert(v) => {
                assert!(!rows.contains(&v), "duplicate insert {v}");
                rows.push(v)
            }
            VersionOp::Delete(v) => {
                let before = rows.len();
                rows.retain(|r| r != &v);
                assert_eq!(before, rows.len() + 1, "delete of a missing row {v}");
            }
            VersionOp::Update { from, to } => {
                let p = rows
                    .iter()
                    .position(|r| r == &from)
                    .expect("update of a missing row");
                rows[p] = to;
            }
        }
    }
    rows.sort();
    rows
}

fn linear() -> RevisionMap {
    map(&[
        ("a1", &[], &[], &[]),
        ("b2", &["a1"], &[], &[]),
        ("c3", &["b2"], &[], &[]),
        ("d4", &["c3"], &[], &[]),
    ])
}

/// base -> bp, which branches into x1 -> x2 and y1 -> y2, merged by m.
fn diamond() -> RevisionMap {
    map(&[
        ("base", &[], &[], &[]),
        ("bp", &["base"], &[], &[]),
        ("x1", &["bp"], &[], &[]),
        ("x2", &["x1"], &[], &[]),
        ("y1", &["bp"], &[], &[]),
        ("y2", &["y1"], &[], &[]),
        ("m", &["x2", "y2"], &[], &[]),
    ])
}

/// Two branches from bp, not merged; the y branch carries the label "feature".
fn branched() -> RevisionMap {
    map(&[
        ("base", &[], &[], &[]),
        ("bp", &["base"], &[], &[]),
        ("x1", &["bp"], &[], &[]),
        ("x2", &["x1"], &[], &[]),
        ("y1", &["bp"], &[], &["feature"]),
        ("y2", &["y1"], &[], &[]),
    ])
}

/// Two independent roots; c2 on the "core" line depends on the "plugin" line.
fn with_dependency() -> RevisionMap {
    map(&[
        ("c1", &[], &[], &["core"]),
        ("p1", &[], &[], &["plugin"]),
        ("c2", &["c1"], &["plugin"], &[]),
        ("c3", &["c2"], &[], &[]),
    ])
}
