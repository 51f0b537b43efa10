//! Resolving symbolic, literal and partial targets.

use super::*;

#[test]
fn symbolic_and_literal_targets_resolve_to_full_ids() {
    let m = map(&[
        ("ae1027a6acf", &[], &[], &[]),
        ("27c6a30d7c24", &["ae1027a6acf"], &[], &[]),
        ("1975ea83b712", &["27c6a30d7c24"], &[], &[]),
        ("1975eb00aaaa", &["27c6a30d7c24"], &[], &["feature"]),
    ]);
    let none: Vec<String> = vec![];
    let r = |s: &str| m.resolve(s, &none);
    assert_eq!(r("heads").unwrap(), ["1975ea83b712", "1975eb00aaaa"]);
    assert_eq!(r("base").unwrap(), Vec::<&str>::new());
    assert_eq!(r("ae1027a6acf").unwrap(), ["ae1027a6acf"]);
    assert_eq!(r("ae10").unwrap(), ["ae1027a6acf"]);
    assert_eq!(r("feature").unwrap(), ["1975eb00aaaa"]);
    assert_eq!(r("feature@head").unwrap(), ["1975eb00aaaa"]);
    assert_eq!(r("feature@heads").unwrap(), ["1975eb00aaaa"]);
    assert_eq!(r("feature@base").unwrap(), Vec::<&str>::new());
    assert_eq!(r("feature@27c6").unwrap(), ["27c6a30d7c24"]);
    assert_eq!(r("1975ea83b712@head").unwrap(), ["1975ea83b712"]);
    assert_eq!(r("base+1").unwrap(), ["ae1027a6acf"]);
    assert_eq!(r("ae10+1").unwrap(), ["27c6a30d7c24"]);
    assert_eq!(r("1975ea83b712-2").unwrap(), ["ae1027a6acf"]);
    assert_eq!(r("feature@head-1").unwrap(), ["27c6a30d7c24"]);
    assert_eq!(r("feature@+3").unwrap(), ["1975eb00aaaa"]);
    assert_eq!(r("ae10@+2").unwrap(), ["27c6a30d7c24"]);
    assert_eq!(r("ae10@+3").unwrap_err(), GraphError::AmbiguousWalk);
    assert_eq!(
        r("heads-1").unwrap_err(),
        GraphError::MultipleHeads {
            argument: "heads".into(),
            heads: vec!["1975ea83b712".into(), "1975eb00aaaa".into()],
        }
    );

    let cur = rows(&["27c6a30d7c24"]);
    assert_eq!(m.resolve("current", &cur).unwrap(), ["27c6a30d7c24"]);
    assert_eq!(m.resolve("-1", &cur).unwrap(), ["ae1027a6acf"]);
    assert_eq!(m.resolve("feature@+1", &cur).unwrap(), ["1975eb00aaaa"]);
    assert_eq!(
        m.resolve("+1", &cur).unwrap_err(),
        GraphError::AmbiguousWalk
    );

    assert_eq!(
        r("head").unwrap_err().to_string(),
        "Multiple head revisions are present for given argument 'head'; please specify a specific target \
         revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads"
    );
    assert_eq!(
        r("1975").unwrap_err().to_string(),
        "Can't locate revision identified by '1975'; multiple revisions start with '1975': \
         '1975ea83b712', '1975eb00aaaa'..."
    );
    assert_eq!(
        r("zz").unwrap_err().to_string(),
        "Can't locate revision identified by 'zz'"
    );
    assert!(r("zz")
        .unwrap_err()
        .detail()
        .contains("at least four characters"));
    assert_eq!(
        r("nosuch@head").unwrap_err().to_string(),
        "Can't locate revision identified by 'nosuch'"
    );
    assert_eq!(
        r("nosuch@ae10").unwrap_err(),
        GraphError::NoSuchBranch {
            branch: "nosuch".into()
        }
    );
    assert_eq!(
        r("nosuch@ae10").unwrap_err().detail(),
        "No such branch: 'nosuch'"
    );
    let not_member = r("feature@1975ea83b712").unwrap_err();
    assert_eq!(
        not_member.to_string(),
        "Can't locate revision identified by '1975ea83b712'"
    );
    assert_eq!(
        not_member.detail(),
        "Revision 1975ea83b712 is not a member of branch 'feature'"
    );
}

#[test]
fn a_short_prefix_resolves_only_when_it_is_unique_like_existing_tooling() {
    let m = linear();
    assert_eq!(m.resolve("c3", &[]).unwrap(), ["c3"]);
    let m = map(&[("abcdef", &[], &[], &[]), ("abcxyz", &["abcdef"], &[], &[])]);
    assert_eq!(m.resolve("abcd", &[]).unwrap(), ["abcdef"]);
    assert!(matches!(
        m.resolve("abc", &[]),
        Err(GraphError::AmbiguousRevision { .. })
    ));
    assert_eq!(m.resolve("abcx", &[]).unwrap(), ["abcxyz"]);
}
