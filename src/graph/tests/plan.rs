//! Plans: the order of upgrades, downgrades and stamps, the version-table operations of each step, and
//! history ranges.

use super::*;

#[test]
fn upgrading_a_linear_chain_updates_one_row_per_step() {
    let m = linear();
    let steps = m.plan_upgrade(&[], "head").unwrap();
    assert_eq!(order(&steps), ["a1", "b2", "c3", "d4"]);
    assert_eq!(
        ops(&steps),
        [ins("a1"), upd("a1", "b2"), upd("b2", "c3"), upd("c3", "d4")]
    );
    assert_eq!(steps[1].from, ["a1"]);
    assert_eq!(steps[1].to, ["b2"]);
    assert_eq!(steps[1].direction(), Some(Direction::Up));

    let down = m.plan_downgrade(&rows(&["d4"]), "a1").unwrap();
    assert_eq!(order(&down), ["d4", "c3", "b2"]);
    assert_eq!(
        ops(&down),
        [upd("d4", "c3"), upd("c3", "b2"), upd("b2", "a1")]
    );
    let to_base = m.plan_downgrade(&rows(&["b2"]), "base").unwrap();
    assert_eq!(ops(&to_base), [upd("b2", "a1"), del("a1")]);
}

#[test]
fn upgrading_onto_a_new_branch_inserts_a_row() {
    let m = branched();
    let steps = m.plan_upgrade(&rows(&["x2"]), "y2").unwrap();
    assert_eq!(order(&steps), ["y1", "y2"]);
    assert_eq!(ops(&steps), [ins("y1"), upd("y1", "y2")]);

    let roots = map(&[("a", &[], &[], &[]), ("b", &[], &[], &[])]);
    let steps = roots.plan_upgrade(&rows(&["a"]), "heads").unwrap();
    assert_eq!(ops(&steps), [ins("b")]);
}

#[test]
fn upgrading_heads_versus_head_when_several_heads_exist() {
    let m = branched();
    let steps = m.plan_upgrade(&[], "heads").unwrap();
    assert_eq!(order(&steps), ["base", "bp", "y1", "y2", "x1", "x2"]);
    assert_eq!(apply(&[], &steps), ["x2", "y2"]);
    assert_eq!(
        ops(&steps),
        [
            ins("base"),
            upd("base", "bp"),
            upd("bp", "y1"),
            upd("y1", "y2"),
            ins("x1"),
            upd("x1", "x2")
        ]
    );
    let e = m.plan_upgrade(&[], "head").unwrap_err();
    assert!(matches!(e, GraphError::MultipleHeads { ref argument, .. } if argument == "head"));
    assert!(e
        .to_string()
        .starts_with("Multiple head revisions are present for given argument 'head'"));
    let steps = m.plan_upgrade(&rows(&["bp"]), "feature@head").unwrap();
    assert_eq!(order(&steps), ["y1", "y2"]);
}

#[test]
fn merging_deletes_one_parent_row_and_updates_the_other() {
    let m = diamond();
    let steps = m.plan_upgrade(&rows(&["x2", "y2"]), "head").unwrap();
    assert_eq!(order(&steps), ["m"]);
    assert_eq!(ops(&steps), [del("x2"), upd("y2", "m")]);
    assert_eq!(steps[0].from, ["x2", "y2"]);

    let full = m.plan_upgrade(&[], "head").unwrap();
    assert_eq!(order(&full), ["base", "bp", "y1", "y2", "x1", "x2", "m"]);
    assert_eq!(apply(&[], &full), ["m"]);
}

#[test]
fn downgrading_through_a_merge_unmerges_with_an_insert_and_an_update() {
    let m = diamond();
    let steps = m.plan_downgrade(&rows(&["m"]), "bp").unwrap();
    assert_eq!(order(&steps), ["m", "x2", "x1", "y2", "y1"]);
    assert_eq!(
        ops(&steps),
        [
            ins("x2"),
            upd("m", "y2"),
            upd("x2", "x1"),
            del("x1"),
            upd("y2", "y1"),
            upd("y1", "bp")
        ]
    );
    assert_eq!(steps[0].to, ["x2", "y2"]);
    assert_eq!(apply(&["m"], &steps), ["bp"]);
}

#[test]
fn downgrading_one_branch_to_its_base_deletes_its_row() {
    let m = map(&[
        ("a1", &[], &[], &["left"]),
        ("a2", &["a1"], &[], &[]),
        ("b1", &[], &[], &["right"]),
        ("b2", &["b1"], &[], &[]),
    ]);
    let steps = m.plan_downgrade(&rows(&["a2", "b2"]), "left@base").unwrap();
    assert_eq!(order(&steps), ["a2", "a1"]);
    assert_eq!(ops(&steps), [upd("a2", "a1"), del("a1")]);
    let steps = m.plan_downgrade(&rows(&["a2", "b2"]), "base").unwrap();
    assert_eq!(apply(&["a2", "b2"], &steps), Vec::<String>::new());
}

#[test]
fn a_depended_on_revision_is_not_kept_as_a_row_after_its_dependent_runs() {
    let m = with_dependency();
    let steps = m.plan_upgrade(&[], "heads").unwrap();
    assert_eq!(order(&steps), ["p1", "c1", "c2", "c3"]);
    assert_eq!(
        ops(&steps),
        [
            ins("p1"),
            ins("c1"),
            del("c1"),
            upd("p1", "c2"),
            upd("c2", "c3")
        ]
    );
    assert_eq!(apply(&[], &steps), ["c3"]);
    // Upgrading one line pulls in the dependency.
    let steps = m.plan_upgrade(&rows(&["c1"]), "c2").unwrap();
    assert_eq!(ops(&steps), [ins("p1"), del("c1"), upd("p1", "c2")]);
    // Downgrading the dependent restores both rows.
    let down = m.plan_downgrade(&rows(&["c3"]), "c1").unwrap();
    assert_eq!(order(&down), ["c3", "c2"]);
    assert_eq!(apply(&["c3"], &down), ["c1", "p1"]);
    // `head` is ambiguous because the depended-on revision is a versioned head.
    assert!(matches!(
        m.plan_upgrade(&[], "head"),
        Err(GraphError::MultipleHeads { .. })
    ));
}

#[test]
fn stamping_moves_rows_without_running_anything() {
    let m = branched();
    let s = m.plan_stamp(&[], &rows(&["x2"]), false).unwrap();
    assert_eq!(ops(&s), [ins("x2")]);
    assert_eq!(
        s[0].kind,
        StepKind::Stamp {
            revision: Some("x2".into())
        }
    );

    let s = m.plan_stamp(&rows(&["x1"]), &rows(&["x2"]), false).unwrap();
    assert_eq!(ops(&s), [upd("x1", "x2")]);
    let s = m.plan_stamp(&rows(&["x2"]), &rows(&["bp"]), false).unwrap();
    assert_eq!(ops(&s), [upd("x2", "bp")]);
    let s = m.plan_stamp(&rows(&["x2"]), &rows(&["y2"]), false).unwrap();
    assert_eq!(ops(&s), [ins("y2")]);
    let s = m
        .plan_stamp(&rows(&["x2", "y2"]), &rows(&["base"]), false)
        .unwrap();
    assert_eq!(ops(&s), [del("x2"), del("y2")]);
    assert_eq!(s[0].revision(), None);
    let s = m.plan_stamp(&rows(&["x2"]), &rows(&["x2"]), false).unwrap();
    assert!(s.is_empty());
    let s = m.plan_stamp(&[], &rows(&["x2", "y2"]), false).unwrap();
    assert_eq!(ops(&s), [ins("x2"), ins("y2")]);
    assert_eq!(
        m.plan_stamp(&[], &rows(&["head"]), false)
            .unwrap_err()
            .to_string(),
        "Multiple heads are present; please specify a single target revision"
    );
    let d = diamond();
    let s = d
        .plan_stamp(&rows(&["x2", "y2"]), &rows(&["m"]), false)
        .unwrap();
    assert_eq!(ops(&s), [del("x2"), upd("y2", "m")]);
}

#[test]
fn stamping_with_purge_starts_from_an_empty_table() {
    let m = branched();
    let s = m
        .plan_stamp(&rows(&["x2", "y1"]), &rows(&["y2"]), true)
        .unwrap();
    assert_eq!(ops(&s), [ins("y2")]);
    let s = m
        .plan_stamp(&rows(&["x2"]), &rows(&["base"]), true)
        .unwrap();
    assert!(s.is_empty());
}

#[test]
fn history_ranges_accept_current_at_either_end() {
    let m = linear();
    let cur = rows(&["b2"]);
    assert_eq!(
        m.history_range("current:", &cur).unwrap(),
        ["d4", "c3", "b2"]
    );
    assert_eq!(m.history_range(":current", &cur).unwrap(), ["b2", "a1"]);
    assert_eq!(m.history_range("b2:c3", &[]).unwrap(), ["c3", "b2"]);
    assert_eq!(m.history_range(":", &[]).unwrap(), m.walk());
    assert_eq!(m.history_range("current:", &[]).unwrap(), m.walk());
    assert_eq!(
        m.history_range("b2", &[]).unwrap_err().to_string(),
        "History range requires [start]:[end], [start]:, or :[end]"
    );
    let b = branched();
    assert_eq!(
        b.history_range("x1:y2", &[]).unwrap_err().to_string(),
        "Requested range x1:y2 does not refer to ancestor/descendant revisions along the same branch"
    );
    assert_eq!(
        b.history_range("current:y2", &rows(&["x1"])).unwrap_err().to_string(),
        "Requested range ('x1',):y2 does not refer to ancestor/descendant revisions along the same branch"
    );
    assert_eq!(
        b.history_range("feature@base:", &[]).unwrap(),
        ["y2", "y1", "bp", "base"]
    );
}

#[test]
fn iteration_orders_match_the_reference_suite() {
    // Dependencies across three roots (reference: partial traversal with implicit base).
    let m = map(&[
        ("a1", &[], &[], &[]),
        ("a2", &["a1"], &[], &[]),
        ("a3", &["a2"], &[], &[]),
        ("b1", &[], &[], &[]),
        ("b2", &["b1"], &["a3"], &[]),
        ("b3", &["b2"], &[], &[]),
        ("b4", &["b3"], &["a3"], &[]),
        ("b5", &["b4"], &[], &[]),
    ]);
    let d = m.plan_downgrade(&rows(&["b5"]), "a2").unwrap();
    assert_eq!(order(&d), ["b5", "b4", "b3", "b2", "a3"]);
    assert_eq!(m.walk(), ["b5", "b4", "b3", "b2", "b1", "a3", "a2", "a1"]);
    assert_eq!(apply(&["b5"], &d), ["a2", "b1"]);
}

#[test]
fn walks_over_several_bases_match_the_reference_suite() {
    let m = map(&[
        ("base1", &[], &[], &[]),
        ("base2", &[], &[], &[]),
        ("base3", &[], &[], &[]),
        ("a1a", &["base1"], &[], &[]),
        ("a1b", &["base1"], &[], &[]),
        ("a2", &["base2"], &[], &[]),
        ("a3", &["base3"], &[], &[]),
        ("b1a", &["a1a"], &[], &[]),
        ("b1b", &["a1b"], &[], &[]),
        ("b2", &["a2"], &[], &[]),
        ("b3", &["a3"], &[], &[]),
        ("c2", &["b2"], &[], &[]),
        ("d2", &["c2"], &[], &[]),
        ("mergeb3d2", &["b3", "d2"], &[], &[]),
    ]);
    assert_eq!(
        m.walk(),
        [
            "b1a",
            "a1a",
            "b1b",
            "a1b",
            "base1",
            "mergeb3d2",
            "b3",
            "a3",
            "base3",
            "d2",
            "c2",
            "b2",
            "a2",
            "base2"
        ]
    );

    let x = map(&[
        ("base1", &[], &[], &["b_1"]),
        ("a1a", &["base1"], &[], &[]),
        ("a1b", &["base1"], &[], &[]),
        ("b1a", &["a1a"], &[], &[]),
        ("b1b", &["a1b"], &["a3"], &[]),
        ("base2", &[], &[], &["b_2"]),
        ("a2", &["base2"], &[], &[]),
        ("b2", &["a2"], &[], &[]),
        ("c2", &["b2"], &["a3"], &[]),
        ("d2", &["c2"], &[], &[]),
        ("base3", &[], &[], &["b_3"]),
        ("a3", &["base3"], &[], &[]),
        ("b3", &["a3"], &[], &[]),
    ]);
    assert_eq!(x.versioned_heads(), ["b1a", "b1b", "d2", "b3"]);
    assert_eq!(
        x.walk(),
        [
            "b1a", "a1a", "b1b", "a1b", "base1", "d2", "c2", "b2", "a2", "base2", "b3", "a3",
            "base3"
        ]
    );
    assert_eq!(
        x.history_range("base:b_2@head", &[]).unwrap(),
        ["d2", "c2", "b2", "a2", "base2", "a3", "base3"]
    );
    assert_eq!(
        x.history_range("base:b_3@head", &[]).unwrap(),
        ["b3", "a3", "base3"]
    );
    let down = x
        .plan_downgrade(&rows(&["b1a", "b1b", "d2", "b3"]), "b_2@base")
        .unwrap();
    assert_eq!(order(&down), ["d2", "c2", "b2", "a2", "base2"]);
}

#[test]
fn a_round_trip_reverts_each_revision_and_applies_it_again_in_upgrade_order() {
    for m in [linear(), diamond(), branched(), with_dependency()] {
        let trips = m.plan_round_trips("heads").unwrap();
        let ups: Vec<Step> = trips.iter().map(|t| t.up.clone()).collect();
        assert_eq!(ups, m.plan_upgrade(&[], "heads").unwrap());
        let mut steps = Vec::new();
        for t in &trips {
            let at = apply(&[], &steps);
            let start: Vec<&str> = at.iter().map(String::as_str).collect();
            // The downgrade comes back to where the upgrade started, and the second upgrade ends where the
            // first did.
            assert_eq!(apply(&start, &[t.up.clone(), t.down.clone()]), at);
            assert_eq!(t.down.direction(), Some(Direction::Down));
            assert_eq!(t.again, t.up);
            steps.push(t.up.clone());
        }
    }
    let m = diamond();
    let trips = m.plan_round_trips("heads").unwrap();
    let merge = trips.last().unwrap();
    assert_eq!(merge.up.version_ops, [del("x2"), upd("y2", "m")]);
    assert_eq!(merge.down.version_ops, [ins("x2"), upd("m", "y2")]);
}
