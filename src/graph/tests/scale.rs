//! Large histories: every walk must stay linear, or these would not finish.

use super::*;

fn big_revisions(n: usize) -> Vec<Revision> {
    let mut out = Vec::with_capacity(n + 5 * (n / 100));
    for i in 0..n {
        out.push(Revision {
            id: format!("r{i:06}"),
            down: if i == 0 {
                vec![]
            } else {
                vec![format!("r{:06}", i - 1)]
            },
            ..Default::default()
        });
    }
    out
}

/// Builds the map and plans every revision. A quadratic step anywhere would keep these tests from finishing;
/// how fast they are is the benchmark's business, not a test's.
fn build(revs: Vec<Revision>) -> (RevisionMap, Vec<Step>) {
    let m = RevisionMap::new(revs).unwrap();
    assert!(!m.heads().is_empty());
    assert_eq!(m.walk().len(), m.len());
    let plan = m.plan_upgrade(&[], "heads").unwrap();
    assert_eq!(plan.len(), m.len());
    (m, plan)
}

#[test]
fn a_hundred_thousand_revisions_stay_interactive() {
    let (m, plan) = build(big_revisions(100_000));
    assert_eq!(m.heads(), ["r099999"]);
    assert_eq!(plan[99_999].version_ops, [upd("r099998", "r099999")]);
    assert!(matches!(
        m.resolve("r0000+5", &[]),
        Err(GraphError::AmbiguousRevision { .. })
    ));
    assert_eq!(m.resolve("r000000+5", &[]).unwrap(), ["r000005"]);
    assert_eq!(m.history_range("r099990:", &[]).unwrap().len(), 10);
    let down = m.plan_downgrade(&rows(&["r099999"]), "base").unwrap();
    assert_eq!(down.len(), 100_000);

    // Branches and merges: diamonds in sequence, side branches that stay open,
    // a labelled trunk and dependencies on the side branches.
    let mut revs = Vec::new();
    let mut tip = "g0".to_string();
    revs.push(Revision {
        id: tip.clone(),
        branch_labels: vec!["trunk".into()],
        ..Default::default()
    });
    let mut k = 0;
    while revs.len() < 100_000 {
        let (a, b, mg) = (format!("g{k}a"), format!("g{k}b"), format!("g{k}m"));
        revs.push(Revision {
            id: a.clone(),
            down: vec![tip.clone()],
            ..Default::default()
        });
        revs.push(Revision {
            id: b.clone(),
            down: vec![tip.clone()],
            ..Default::default()
        });
        let deps = if k % 10 == 0 && k > 0 {
            vec![format!("s{}", k - 10)]
        } else {
            vec![]
        };
        revs.push(Revision {
            id: mg.clone(),
            down: vec![a, b],
            depends_on: deps,
            ..Default::default()
        });
        if k % 10 == 0 {
            revs.push(Revision {
                id: format!("s{k}"),
                down: vec![mg.clone()],
                ..Default::default()
            });
        }
        tip = mg;
        k += 1;
    }
    let (g, plan) = build(revs);
    let heads = g.heads();
    assert!(heads.len() > 1);
    let rows_after: Vec<String> = apply(&[], &plan);
    let mut expected: Vec<String> = heads.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(rows_after, expected);
    let down = g.plan_downgrade(&rows_after, "g0").unwrap();
    assert_eq!(down.len(), g.len() - 1);
    let start: Vec<&str> = rows_after.iter().map(String::as_str).collect();
    assert_eq!(apply(&start, &down), ["g0"]);
}
