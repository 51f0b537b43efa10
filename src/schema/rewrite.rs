//! Which changes make PostgreSQL rewrite every row of a table: a new column whose default is computed per
//! row, and a column type change that is not binary-coercible. Both the schema renderer (for the hazards of
//! a generated migration) and `db-migrate lint` (for hand-written revisions) ask these questions, so they
//! have one answer, here. Pure: tokens and type names in, a verdict out.

use super::tokens::Token;

/// Functions that are fine in a new column's default on PostgreSQL 11+: stable or immutable, so the value
/// is computed once and stored in the catalog instead of in every row. Anything else counts as volatile, as
/// PostgreSQL itself counts a function declared without a volatility. Sorted.
const STABLE_FUNCTIONS: [&str; 41] = [
    "abs",
    "array",
    "cast",
    "coalesce",
    "concat",
    "concat_ws",
    "current_setting",
    "current_time",
    "current_timestamp",
    "date_trunc",
    "daterange",
    "greatest",
    "int4range",
    "int8range",
    "json_build_array",
    "json_build_object",
    "jsonb_build_array",
    "jsonb_build_object",
    "least",
    "length",
    "localtime",
    "localtimestamp",
    "lower",
    "make_date",
    "make_interval",
    "now",
    "nullif",
    "numrange",
    "round",
    "row",
    "statement_timestamp",
    "timezone",
    "to_char",
    "to_date",
    "to_jsonb",
    "to_timestamp",
    "transaction_timestamp",
    "trim",
    "tsrange",
    "tstzrange",
    "upper",
];

/// Whether a default expression calls a function not known to be stable, so that every existing row gets a
/// value computed for it. A type after `::` may carry a modifier (`::numeric(10, 2)`,
/// `::character varying(20)`): a cast, not a call.
pub fn default_is_volatile(tokens: &[Token]) -> bool {
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct("::") => i = after_cast_type(tokens, i + 1),
            // `CAST(x AS numeric(10, 2))`: the type after AS is no call either.
            Token::Word(w) if w.eq_ignore_ascii_case("as") => i = after_cast_type(tokens, i + 1),
            Token::Word(f) | Token::Quoted(f) => {
                if matches!(tokens.get(i + 1), Some(Token::Punct("(")))
                    && STABLE_FUNCTIONS.binary_search(&f.as_str()).is_err()
                {
                    return true;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    false
}

/// The position after the type a `::` cast names from `start`: its words (`character varying`,
/// `timestamp with time zone`), then a modifier in parentheses and `[]` if they come.
fn after_cast_type(tokens: &[Token], start: usize) -> usize {
    let mut i = start;
    while matches!(
        tokens.get(i),
        Some(Token::Word(_) | Token::Quoted(_) | Token::Punct("."))
    ) {
        i += 1;
    }
    if matches!(tokens.get(i), Some(Token::Punct("("))) {
        while i < tokens.len() && tokens[i] != Token::Punct(")") {
            i += 1;
        }
        i += 1;
    }
    i
}

/// Whether changing a column's type from `from` to `to` rewrites the table (it does unless the types are
/// binary-coercible: a longer or unlimited `varchar`, `text`, a wider `numeric` of the same scale, `inet` from
/// `cidr`), and
/// whether it narrows the values it can hold.
pub fn type_change(from: &str, to: &str) -> (bool, bool) {
    let (a, b) = (parse_type(from), parse_type(to));
    let (a, b) = match (a.0.strip_suffix("[]"), b.0.strip_suffix("[]")) {
        (Some(x), Some(y)) => ((x.to_string(), a.1), (y.to_string(), b.1)),
        _ => (a, b),
    };
    let text = |t: &str| matches!(t, "text" | "varchar");
    let int_rank = |t: &str| ["int2", "int4", "int8"].iter().position(|i| *i == t);
    let (base_a, base_b) = (a.0.as_str(), b.0.as_str());
    let same_scale = base_a != "numeric" || b.1.is_empty() || scale(&a.1) == scale(&b.1);
    let coercible = (base_a == base_b && wider(base_a, &a.1, &b.1) && same_scale)
        || (text(base_a) && base_b == "text")
        || (base_a == "text" && base_b == "varchar" && b.1.is_empty())
        || (base_a == "cidr" && base_b == "inet");
    let narrows = match (base_a, base_b) {
        (x, y) if x == y => !wider(x, &a.1, &b.1),
        (x, "varchar" | "bpchar") if text(x) || x == "bpchar" => !b.1.is_empty(),
        (x, y) if int_rank(x).is_some() && int_rank(y).is_some() => int_rank(x) > int_rank(y),
        ("numeric" | "float4" | "float8", y) if int_rank(y).is_some() => true,
        ("float8", "float4") | ("numeric", "float4" | "float8") => true,
        ("timestamp" | "timestamptz", "date") => true,
        _ => false,
    };
    (!coercible, narrows)
}

/// A numeric's scale (`numeric(p)` has none).
fn scale(modifiers: &[i64]) -> i64 {
    modifiers.get(1).copied().unwrap_or(0)
}

/// Whether a type with modifiers `to` holds every value one with `from` does: no modifier is no limit; a
/// numeric must keep both its digits before the point and its scale.
fn wider(base: &str, from: &[i64], to: &[i64]) -> bool {
    match (from, to) {
        (_, []) => true,
        ([], _) => false,
        ([p, ..], [q, ..]) if base == "numeric" => {
            q - scale(to) >= p - scale(from) && scale(to) >= scale(from)
        }
        _ => from.iter().zip(to).all(|(m, n)| m <= n),
    }
}

/// A type as `format_type` (or a person) writes it, as its canonical base name and its modifiers:
/// `character varying(10)` is `("varchar", [10])`, `timestamp(3) with time zone[]` is `("timestamptz[]", [3])`.
fn parse_type(t: &str) -> (String, Vec<i64>) {
    let mut t = t.trim().to_ascii_lowercase();
    let mut array = String::new();
    while let Some(element) = t.strip_suffix("[]") {
        t = element.trim_end().to_string();
        array.push_str("[]");
    }
    // The modifier may sit inside the name (`timestamp(3) with time zone`): the name is what is around it.
    let (name, args) = match (t.find('('), t.find(')')) {
        (Some(open), Some(close)) if open < close => (
            format!("{} {}", &t[..open], &t[close + 1..]),
            t[open + 1..close]
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect(),
        ),
        _ => (t.clone(), Vec::new()),
    };
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let base = match name.as_str() {
        "character varying" | "varchar" => "varchar",
        "character" | "char" | "bpchar" => "bpchar",
        "integer" | "int" | "int4" => "int4",
        "bigint" | "int8" => "int8",
        "smallint" | "int2" => "int2",
        "decimal" | "numeric" => "numeric",
        "double precision" | "float8" => "float8",
        "real" | "float4" => "float4",
        "timestamp with time zone" | "timestamptz" => "timestamptz",
        "timestamp without time zone" | "timestamp" => "timestamp",
        other => other,
    };
    (format!("{base}{array}"), args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tokens::Sql;

    fn volatile(default: &str) -> bool {
        default_is_volatile(Sql::postgres(default).unwrap().tokens())
    }

    #[test]
    fn the_stable_functions_are_sorted() {
        assert!(STABLE_FUNCTIONS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn defaults_are_volatile_when_they_call_a_function_not_known_stable() {
        for default in [
            "gen_random_uuid()",
            "nextval('t_id_seq'::regclass)",
            "my_next()",
            "(random() * 10)::int",
            "coalesce('a'::varchar(20), my_next())",
            "'a'::character varying(20) || \"Gen\"()",
            "CAST(my_next() AS integer)",
        ] {
            assert!(volatile(default), "{default}");
        }
        for default in [
            "now()",
            "0",
            "'x'",
            "0::numeric(10, 2)",
            "'a'::varchar(20)",
            "'a'::character varying(20)",
            "('now'::text)::timestamp(0) with time zone",
            "'{}'::int[]",
            "tstzrange(now(), (now() + '7 days'::interval))",
            "CURRENT_TIMESTAMP",
            "CAST(0 AS numeric(10, 2))",
            "CAST('a' AS character varying(20))",
        ] {
            assert!(!volatile(default), "{default}");
        }
    }

    #[test]
    fn type_changes_are_told_apart_by_what_they_do_to_rows() {
        // (rewrites, narrows)
        for (from, to, expected) in [
            (
                "character varying(10)",
                "character varying(20)",
                (false, false),
            ),
            ("character varying(10)", "text", (false, false)),
            ("varchar", "text", (false, false)),
            ("text", "character varying", (false, false)),
            (
                "character varying(20)",
                "character varying(10)",
                (true, true),
            ),
            ("text", "character varying(10)", (true, true)),
            ("numeric(10,2)", "numeric(12,2)", (false, false)),
            ("numeric(10,2)", "numeric", (false, false)),
            ("numeric(10,2)", "numeric(10,3)", (true, true)),
            ("numeric", "numeric(10,2)", (true, true)),
            ("cidr", "inet", (false, false)),
            ("inet", "cidr", (true, false)),
            ("integer", "bigint", (true, false)),
            ("bigint", "integer", (true, true)),
            ("double precision", "integer", (true, true)),
            ("text", "integer", (true, false)),
            ("character(5)", "text", (true, false)),
            ("text[]", "character varying(5)[]", (true, true)),
            ("bigint[]", "integer[]", (true, true)),
            ("int[]", "integer[]", (false, false)),
            ("character varying[]", "text[]", (false, false)),
            ("timestamp(3) with time zone", "date", (true, true)),
            ("timestamp(3) with time zone", "timestamptz", (false, false)),
        ] {
            assert_eq!(type_change(from, to), expected, "{from} -> {to}");
        }
    }
}
