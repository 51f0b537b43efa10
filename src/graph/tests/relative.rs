//! Relative targets: counting steps, walking off either end, and the cases that must name a head.

use super::*;

#[test]
fn relative_targets_count_steps_and_report_overruns() {
    let m = linear();
    let at = |r: &[&str], t: &str| m.plan_upgrade(&rows(r), t);
    assert_eq!(order(&at(&["a1"], "+2").unwrap()), ["b2", "c3"]);
    assert_eq!(
        order(&m.plan_downgrade(&rows(&["c3"]), "-1").unwrap()),
        ["c3"]
    );
    assert_eq!(
        at(&["c3"], "+2").unwrap_err().to_string(),
        "Relative revision +2 didn't produce 2 migrations"
    );
    assert_eq!(
        m.plan_downgrade(&rows(&["b2"]), "-3")
            .unwrap_err()
            .to_string(),
        "Relative revision -3 didn't produce 3 migrations"
    );
    assert_eq!(
        m.plan_downgrade(&rows(&["d4"]), "b2-5")
            .unwrap_err()
            .to_string(),
        "Walked too far: 'b2-5' goes down past base"
    );
    assert_eq!(
        m.plan_downgrade(&rows(&["d4"]), "+1")
            .unwrap_err()
            .to_string(),
        "Relative revision +1 didn't produce 1 migrations"
    );
    assert_eq!(
        m.plan_downgrade(&rows(&["b2"]), "d4")
            .unwrap_err()
            .to_string(),
        "Destination d4 is not a valid downgrade target from current head(s)"
    );
}

#[test]
fn a_walk_off_the_graph_says_which_end_and_a_downgrade_that_counts_up_says_to_count_down() {
    let m = linear();
    let d4 = rows(&["d4"]);
    assert_eq!(
        m.plan_downgrade(&d4, "head+1").unwrap_err(),
        GraphError::DowngradeCountsUp {
            target: "head+1".into(),
            down: "head-1".into(),
        }
    );
    assert_eq!(
        m.plan_downgrade(&d4, "c3@head+2").unwrap_err(),
        GraphError::DowngradeCountsUp {
            target: "c3@head+2".into(),
            down: "c3@head-2".into(),
        }
    );
    // Up to the head is no walk too far: nothing to do.
    assert!(m.plan_downgrade(&d4, "c3+1").unwrap().is_empty());
    assert_eq!(
        m.plan_upgrade(&rows(&["a1"]), "d4+1").unwrap_err(),
        GraphError::WalkedTooFar {
            target: "d4+1".into(),
            end: GraphEnd::Head,
        }
    );
    assert_eq!(
        m.resolve("a1-2", &[]).unwrap_err(),
        GraphError::WalkedTooFar {
            target: "a1-2".into(),
            end: GraphEnd::Base,
        }
    );
    // Nothing lies below base, whichever way the command goes and whatever the label.
    for target in ["base-1", "base-2", "c3@base-1"] {
        let past_base = GraphError::WalkedTooFar {
            target: target.into(),
            end: GraphEnd::Base,
        };
        assert_eq!(m.plan_downgrade(&d4, target).unwrap_err(), past_base);
        assert_eq!(
            m.plan_upgrade(&rows(&["a1"]), target).unwrap_err(),
            past_base
        );
    }
    // Counting up from base is fine.
    assert_eq!(
        order(&m.plan_upgrade(&rows(&[]), "base+2").unwrap()),
        ["a1", "b2"]
    );
}

#[test]
fn show_counts_down_from_every_head_like_alembic() {
    let m = branched();
    let none: Vec<String> = vec![];
    assert_eq!(m.resolve_shown("-1", &none).unwrap(), ["x1", "y1"]);
    assert_eq!(m.resolve_shown("feature@-1", &none).unwrap(), ["y1"]);
    assert_eq!(m.resolve_shown("-3", &none).unwrap(), ["base", "base"]);
    assert_eq!(m.resolve_shown("-4", &none).unwrap(), Vec::<&str>::new());
    assert_eq!(
        m.resolve_shown("-5", &none).unwrap_err(),
        GraphError::WalkedTooFar {
            target: "-5".into(),
            end: GraphEnd::Base,
        }
    );
    // Everything else resolves as anywhere else.
    assert_eq!(m.resolve_shown("x2-1", &none).unwrap(), ["x1"]);
    assert_eq!(m.resolve_shown("current", &rows(&["y2"])).unwrap(), ["y2"]);
}

#[test]
fn a_relative_downgrade_from_several_heads_names_the_heads_instead_of_guessing() {
    let m = branched();
    let e = m.plan_downgrade(&rows(&["y2", "x2"]), "-1").unwrap_err();
    assert_eq!(
        e,
        GraphError::AmbiguousRelativeDowngrade {
            relative: "-1".into(),
            heads: vec!["x2".into(), "y2".into()],
        }
    );
    assert!(e
        .to_string()
        .starts_with("downgrade -1 from multiple heads is ambiguous"));
    // Naming the head walks down that branch only; duplicate rows are one head.
    let steps = m.plan_downgrade(&rows(&["y2", "x2"]), "y2@-1").unwrap();
    assert_eq!(order(&steps), ["y2"]);
    let steps = m.plan_downgrade(&rows(&["x2", "x2"]), "-1").unwrap();
    assert_eq!(order(&steps), ["x2"]);
}
