//! Building the map: heads, bases, walks, labels, dependencies and the structural errors.

use super::*;

#[test]
fn a_linear_chain_has_one_head_one_base_and_walks_from_the_top() {
    let m = linear();
    assert_eq!(m.len(), 4);
    assert!(m.contains("c3") && !m.contains("c"));
    assert_eq!(m.heads(), ["d4"]);
    assert_eq!(m.bases(), ["a1"]);
    assert_eq!(m.walk(), ["d4", "c3", "b2", "a1"]);
    let info = m.info("b2").unwrap();
    assert_eq!(info.down, ["a1"]);
    assert_eq!(info.children, ["c3"]);
    assert!(!info.is_head && !info.is_branch_point && !info.is_merge_point);
    assert!(m.info("d4").unwrap().is_head);
}

#[test]
fn branches_walk_one_branch_before_the_branch_point_and_merge_points_are_flagged() {
    let m = diamond();
    assert_eq!(m.heads(), ["m"]);
    assert_eq!(m.walk(), ["m", "x2", "x1", "y2", "y1", "bp", "base"]);
    assert!(m.info("bp").unwrap().is_branch_point);
    assert!(m.info("m").unwrap().is_merge_point);
    assert_eq!(m.info("bp").unwrap().children, ["x1", "y1"]);

    let b = branched();
    assert_eq!(b.heads(), ["x2", "y2"]);
    assert_eq!(b.walk(), ["x2", "x1", "y2", "y1", "bp", "base"]);
}

#[test]
fn a_branch_label_propagates_up_the_branch_but_not_past_the_branch_point() {
    let b = branched();
    for id in ["y1", "y2"] {
        assert_eq!(b.info(id).unwrap().branch_labels, ["feature"], "{id}");
    }
    for id in ["base", "bp", "x1", "x2"] {
        assert!(b.info(id).unwrap().branch_labels.is_empty(), "{id}");
    }
    // On a linear root the label reaches down to the base as well.
    let l = map(&[
        ("a1", &[], &[], &[]),
        ("b2", &["a1"], &[], &["main"]),
        ("c3", &["b2"], &[], &[]),
    ]);
    for id in ["a1", "b2", "c3"] {
        assert_eq!(l.info(id).unwrap().branch_labels, ["main"], "{id}");
    }
}

#[test]
fn a_dependency_across_branches_makes_an_effective_head() {
    let m = with_dependency();
    assert_eq!(m.heads(), ["c3"]);
    assert_eq!(m.versioned_heads(), ["p1", "c3"]);
    let p1 = m.info("p1").unwrap();
    assert!(p1.is_effective_head && !p1.is_head);
    assert_eq!(m.info("c2").unwrap().dependencies, ["p1"]);
    assert_eq!(m.info("c2").unwrap().depends_on, ["plugin".to_string()]);
    assert_eq!(m.walk(), ["c3", "c2", "c1", "p1"]);
    assert_eq!(m.applied(&rows(&["c2"])).unwrap().len(), 3);
    assert_eq!(m.current_revisions(&rows(&["c2"])).unwrap(), ["p1", "c2"]);
}

#[test]
fn structural_problems_are_errors_with_the_expected_wording() {
    assert_eq!(
        err(&[("a", &[], &[], &[]), ("a", &[], &[], &[])]).to_string(),
        "revision 'a' is declared more than once"
    );
    assert_eq!(
        err(&[("b", &["a"], &[], &[])]).to_string(),
        "revision 'b' revises 'a', which does not exist"
    );
    assert_eq!(
        err(&[("a", &[], &[], &[]), ("b", &["a"], &["x"], &[])]).to_string(),
        "revision 'b' depends on 'x', which does not exist"
    );
    assert_eq!(
        err(&[("a", &[], &[], &["l"]), ("b", &["a"], &[], &["l"])]).to_string(),
        "Branch name 'l' in revision b already used by revision a"
    );
    assert_eq!(
        err(&[
            ("r", &[], &[], &[]),
            ("a", &["c", "r"], &[], &[]),
            ("b", &["a"], &[], &[]),
            ("c", &["b"], &[], &[])
        ])
        .to_string(),
        "Cycle is detected in revisions (r, a, b, c)"
    );
    assert_eq!(
        err(&[("a", &[], &["b"], &[]), ("b", &[], &["a"], &[])]).to_string(),
        "Dependency cycle is detected in revisions (a, b)"
    );
    assert_eq!(
        err(&[("a", &["a"], &[], &[])]).to_string(),
        "Self-loop is detected in revisions (a)"
    );
    assert_eq!(
        err(&[("a-b", &[], &[], &[])]).to_string(),
        "Character(s) '-' not allowed in revision identifier 'a-b'"
    );
}

#[test]
fn a_cycle_hidden_behind_a_merge_is_still_detected() {
    let e = err(&[
        ("x", &[], &[], &[]),
        ("b", &["c", "x"], &[], &[]),
        ("c", &["b"], &[], &[]),
        ("d", &["c"], &[], &[]),
    ]);
    assert_eq!(e.to_string(), "Cycle is detected in revisions (b, c)");
}
