//! What a statement does to the schema, as far as the lint rules care: read from its tokens (the schema
//! engine's tokenizer, so quoting, comments and case are handled as the database handles them), never from
//! its text. Anything the rules do not look at is [`Op::Other`].

use crate::engine::Engine;
use crate::schema::rewrite;
use crate::schema::tokens::{Sql, Token};

/// One statement's effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    CreateTable {
        name: String,
        /// Each column's name and type, as written (empty for `AS SELECT` and virtual tables).
        columns: Vec<(String, String)>,
    },
    CreateIndex {
        name: Option<String>,
        table: String,
        concurrently: bool,
        /// Every name after the table (columns, expressions, a partial index's WHERE), for "does the index use
        /// this column": a superset is fine there.
        mentions: Vec<String>,
    },
    DropIndex {
        names: Vec<String>,
    },
    DropTable {
        names: Vec<String>,
    },
    RenameIndex {
        from: String,
        to: String,
    },
    AlterTable {
        table: String,
        actions: Vec<Action>,
    },
    /// `SET lock_timeout …` or `set_config('lock_timeout', …)`.
    SetLockTimeout,
    /// `RESET lock_timeout`: the server's own again, which waits for ever by default.
    ResetLockTimeout,
    /// Any other `SET` or `RESET`: session settings, not schema work.
    Setting,
    Other,
}

/// One action of an `ALTER TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    AddColumn {
        column: String,
        /// The type as written.
        type_name: String,
        not_null: bool,
        has_default: bool,
        /// The default calls a function not known to be stable, the type is a serial, or the column is an
        /// identity or a stored generated one: every existing row gets a value computed for it.
        rewrites: bool,
    },
    AddForeignKey {
        not_valid: bool,
    },
    AddCheck {
        /// The constraint's name, if the statement gives one.
        name: Option<String>,
        not_valid: bool,
        /// The column a `CHECK (col IS NOT NULL)` is about.
        not_null_of: Option<String>,
    },
    AlterType {
        column: String,
        /// The new type as written.
        type_name: String,
        /// A `USING` expression (every row's new value computed) or a `COLLATE` clause (indexes rebuilt).
        using_or_collate: bool,
    },
    ValidateConstraint {
        name: String,
    },
    SetNotNull {
        column: String,
    },
    DropColumn {
        column: String,
    },
    RenameColumn {
        from: String,
        to: String,
    },
    RenameTable {
        to: String,
    },
    Other,
}

const SERIAL_TYPES: &[&str] = &[
    "serial",
    "serial4",
    "serial8",
    "bigserial",
    "smallserial",
    "serial2",
];

/// Reads one statement. Text the tokenizer cannot read (it was split by the statement lexer already, so this
/// is a corner of the syntax the tokenizer does not know) is [`Op::Other`]: lint never fails a revision that
/// runs.
pub(crate) fn read(sql: &str, engine: Engine) -> Op {
    let sql = match engine {
        Engine::Postgresql => Sql::postgres(sql),
        Engine::Sqlite => Sql::sqlite(sql),
    };
    match sql {
        Ok(sql) => Cursor::new(sql.tokens()).op(),
        Err(_) => Op::Other,
    }
}

/// A position in a statement's tokens.
struct Cursor<'t> {
    tokens: &'t [Token],
    at: usize,
}

fn word(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token::Word(w)) => Some(w),
        _ => None,
    }
}

fn punct(t: Option<&Token>, p: &str) -> bool {
    matches!(t, Some(Token::Punct(q)) if *q == p)
}

fn name_of(t: Option<&Token>) -> Option<String> {
    match t {
        Some(Token::Word(w) | Token::Quoted(w)) => Some(w.clone()),
        _ => None,
    }
}

impl<'t> Cursor<'t> {
    fn new(tokens: &'t [Token]) -> Cursor<'t> {
        Cursor { tokens, at: 0 }
    }

    fn peek(&self) -> Option<&'t Token> {
        self.tokens.get(self.at)
    }

    fn is(&self, keyword: &str) -> bool {
        word(self.peek()) == Some(keyword)
    }

    /// Moves past `keyword` if it comes next.
    fn eat(&mut self, keyword: &str) -> bool {
        let found = self.is(keyword);
        self.at += usize::from(found);
        found
    }

    /// Moves past the words of `keywords` if they all come next, in order.
    fn eat_all(&mut self, keywords: &[&str]) -> bool {
        let found = keywords
            .iter()
            .enumerate()
            .all(|(i, k)| word(self.tokens.get(self.at + i)) == Some(*k));
        if found {
            self.at += keywords.len();
        }
        found
    }

    /// A possibly schema-qualified name; its last part, which is how the rules tell tables apart.
    fn name(&mut self) -> Option<String> {
        let mut name = name_of(self.peek())?;
        self.at += 1;
        while punct(self.peek(), ".") {
            match name_of(self.tokens.get(self.at + 1)) {
                Some(part) => {
                    name = part;
                    self.at += 2;
                }
                None => break,
            }
        }
        Some(name)
    }

    fn rest(&self) -> &'t [Token] {
        &self.tokens[self.at.min(self.tokens.len())..]
    }

    fn op(mut self) -> Op {
        if self.eat("create") {
            self.eat_all(&["or", "replace"]);
            return self.create();
        }
        if self.eat("alter") {
            if self.eat("index") {
                self.eat_all(&["if", "exists"]);
                return match (self.name(), self.eat_all(&["rename", "to"])) {
                    (Some(from), true) => match self.name() {
                        Some(to) => Op::RenameIndex { from, to },
                        None => Op::Other,
                    },
                    _ => Op::Other,
                };
            }
            if !self.eat("table") {
                return Op::Other;
            }
            self.eat_all(&["if", "exists"]);
            self.eat("only");
            let Some(table) = self.name() else {
                return Op::Other;
            };
            if matches!(self.peek(), Some(Token::Operator(o)) if o == "*")
                || punct(self.peek(), "*")
            {
                self.at += 1;
            }
            let actions = split_top_level(self.rest())
                .into_iter()
                .map(action)
                .collect();
            return Op::AlterTable { table, actions };
        }
        if self.eat("drop") {
            let table = self.eat("table");
            if !table && !self.eat("index") {
                return Op::Other;
            }
            self.eat("concurrently");
            self.eat_all(&["if", "exists"]);
            let mut names = Vec::new();
            while let Some(name) = self.name() {
                names.push(name);
                if !punct(self.peek(), ",") {
                    break;
                }
                self.at += 1;
            }
            return if table {
                Op::DropTable { names }
            } else {
                Op::DropIndex { names }
            };
        }
        if self.is("set") || self.is("reset") {
            let reset = self.is("reset");
            self.at += 1;
            self.eat("session");
            self.eat("local");
            return match (self.is("lock_timeout"), reset) {
                (true, false) => Op::SetLockTimeout,
                (true, true) => Op::ResetLockTimeout,
                (false, _) => Op::Setting,
            };
        }
        let sets_lock_timeout =
            self.tokens
                .iter()
                .any(|t| word(Some(t)) == Some("set_config"))
                && self.tokens.iter().any(
                    |t| matches!(t, Token::String(s) if s.eq_ignore_ascii_case("lock_timeout")),
                );
        if sets_lock_timeout {
            return Op::SetLockTimeout;
        }
        Op::Other
    }

    /// After `CREATE [OR REPLACE]`.
    fn create(mut self) -> Op {
        while [
            "temp",
            "temporary",
            "unlogged",
            "global",
            "local",
            "virtual",
        ]
        .iter()
        .any(|k| self.is(k))
        {
            self.at += 1;
        }
        if self.eat("table") {
            self.eat_all(&["if", "not", "exists"]);
            let Some(name) = self.name() else {
                return Op::Other;
            };
            // The definitions end at the `)` closing the first `(`: clauses such as `PARTITION BY RANGE (a)`,
            // `INHERITS (p)` or `WITH (...)` may follow with parentheses of their own.
            let columns = match self.rest() {
                [Token::Punct("("), rest @ ..] => match parenthesised(rest) {
                    Some(defs) => split_top_level(defs)
                        .into_iter()
                        .filter_map(column_definition)
                        .collect(),
                    None => Vec::new(),
                },
                _ => Vec::new(),
            };
            return Op::CreateTable { name, columns };
        }
        self.eat("unique");
        if !self.eat("index") {
            return Op::Other;
        }
        let concurrently = self.eat("concurrently");
        self.eat_all(&["if", "not", "exists"]);
        let name = if self.is("on") { None } else { self.name() };
        if !self.eat("on") {
            return Op::Other;
        }
        self.eat("only");
        let Some(table) = self.name() else {
            return Op::Other;
        };
        let mentions = self
            .rest()
            .iter()
            .filter_map(|t| name_of(Some(t)))
            .collect();
        Op::CreateIndex {
            name,
            table,
            concurrently,
            mentions,
        }
    }
}

/// The tokens after an opening `(` up to the `)` that closes it, or `None` when it is never closed.
fn parenthesised(tokens: &[Token]) -> Option<&[Token]> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Punct("(") => depth += 1,
            Token::Punct(")") if depth == 0 => return Some(&tokens[..i]),
            Token::Punct(")") => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The tokens outside parentheses and brackets, with their positions; the brackets count as inside.
fn top_level(tokens: &[Token]) -> impl Iterator<Item = (usize, &Token)> {
    let mut depth = 0usize;
    tokens.iter().enumerate().filter(move |(_, t)| match t {
        Token::Punct("(" | "[") => {
            depth += 1;
            false
        }
        Token::Punct(")" | "]") => {
            depth = depth.saturating_sub(1);
            false
        }
        _ => depth == 0,
    })
}

/// Splits tokens at the commas outside parentheses and brackets.
fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, _) in top_level(tokens).filter(|(_, t)| punct(Some(t), ",")) {
        parts.push(&tokens[start..i]);
        start = i + 1;
    }
    parts.push(&tokens[start..]);
    parts
}

/// Whether `first second` occur next to each other outside parentheses.
fn has_pair(tokens: &[Token], first: &str, second: &str) -> bool {
    top_level(tokens)
        .any(|(i, t)| word(Some(t)) == Some(first) && word(tokens.get(i + 1)) == Some(second))
}

fn has_word(tokens: &[Token], keyword: &str) -> bool {
    tokens.iter().any(|t| word(Some(t)) == Some(keyword))
}

/// One action of an `ALTER TABLE`.
fn action(tokens: &[Token]) -> Action {
    let mut c = Cursor::new(tokens);
    if c.eat("add") {
        let name = if c.eat("constraint") { c.name() } else { None };
        if c.is("foreign") {
            return Action::AddForeignKey {
                not_valid: has_pair(c.rest(), "not", "valid"),
            };
        }
        if c.eat("check") {
            return Action::AddCheck {
                name,
                not_valid: has_pair(c.rest(), "not", "valid"),
                not_null_of: not_null_check(c.rest()),
            };
        }
        if ["primary", "unique", "exclude"].iter().any(|k| c.is(k)) {
            return Action::Other;
        }
        c.eat("column");
        c.eat_all(&["if", "not", "exists"]);
        let Some(column) = c.name() else {
            return Action::Other;
        };
        return add_column(column, c.rest());
    }
    if c.eat("alter") {
        c.eat("column");
        let Some(column) = c.name() else {
            return Action::Other;
        };
        if c.eat("type") || c.eat_all(&["set", "data", "type"]) {
            return Action::AlterType {
                column,
                type_name: type_text(c.rest()),
                using_or_collate: has_word(c.rest(), "using") || has_word(c.rest(), "collate"),
            };
        }
        if c.eat_all(&["set", "not", "null"]) {
            return Action::SetNotNull { column };
        }
        return Action::Other;
    }
    if c.eat_all(&["validate", "constraint"]) {
        return match c.name() {
            Some(name) => Action::ValidateConstraint { name },
            None => Action::Other,
        };
    }
    if c.eat("drop") {
        if c.is("constraint") {
            return Action::Other;
        }
        c.eat("column");
        c.eat_all(&["if", "exists"]);
        return match c.name() {
            Some(column) => Action::DropColumn { column },
            None => Action::Other,
        };
    }
    if c.eat("rename") {
        if c.eat("to") {
            return match c.name() {
                Some(to) => Action::RenameTable { to },
                None => Action::Other,
            };
        }
        if c.is("constraint") {
            return Action::Other;
        }
        c.eat("column");
        let (Some(from), true) = (c.name(), c.eat("to")) else {
            return Action::Other;
        };
        return match c.name() {
            Some(to) => Action::RenameColumn { from, to },
            None => Action::Other,
        };
    }
    Action::Other
}

/// `ADD COLUMN name …`, from the type on.
fn add_column(column: String, def: &[Token]) -> Action {
    let serial = word(def.first()).is_some_and(|t| SERIAL_TYPES.contains(&t));
    let generated_stored = has_word(def, "generated") && has_word(def, "stored");
    let identity = has_word(def, "generated") && has_word(def, "identity");
    let default = def
        .iter()
        .position(|t| word(Some(t)) == Some("default"))
        .map(|i| default_expression(&def[i + 1..]));
    Action::AddColumn {
        column,
        type_name: type_text(def),
        not_null: has_pair(def, "not", "null") || has_pair(def, "primary", "key"),
        has_default: default.is_some() || serial || identity || generated_stored,
        rewrites: serial
            || identity
            || generated_stored
            || default.is_some_and(rewrite::default_is_volatile),
    }
}

/// One element of a CREATE TABLE's parentheses, if it defines a column: its name and type.
fn column_definition(tokens: &[Token]) -> Option<(String, String)> {
    let first = word(tokens.first());
    let constraint = [
        "constraint",
        "primary",
        "unique",
        "check",
        "foreign",
        "exclude",
        "like",
    ];
    if first.is_some_and(|w| constraint.contains(&w)) {
        return None;
    }
    Some((name_of(tokens.first())?, type_text(&tokens[1..])))
}

/// A column's type as written, from its first token up to the first constraint or clause after it, in the
/// spelling the type comparison reads (`character varying(20)`, `numeric(10,2)`, `text[]`).
fn type_text(tokens: &[Token]) -> String {
    const AFTER_TYPE: [&str; 13] = [
        "not",
        "null",
        "default",
        "constraint",
        "check",
        "references",
        "unique",
        "primary",
        "generated",
        "collate",
        "using",
        "identity",
        "as",
    ];
    let mut text = String::new();
    for t in tokens {
        match t {
            Token::Word(w) if AFTER_TYPE.contains(&w.as_str()) => break,
            Token::Word(w) | Token::Quoted(w) => {
                if text.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    text.push(' ');
                }
                text.push_str(w);
            }
            Token::Number(n) => text.push_str(n),
            Token::Punct(p) => text.push_str(p),
            _ => break,
        }
    }
    text
}

/// A DEFAULT's expression: up to the next column constraint outside parentheses.
fn default_expression(tokens: &[Token]) -> &[Token] {
    const CONSTRAINTS: [&str; 9] = [
        "not",
        "null",
        "constraint",
        "check",
        "references",
        "unique",
        "primary",
        "generated",
        "collate",
    ];
    let end = top_level(tokens)
        .find(|(_, t)| word(Some(t)).is_some_and(|w| CONSTRAINTS.contains(&w)))
        .map_or(tokens.len(), |(i, _)| i);
    &tokens[..end]
}

/// The column of a `CHECK (col IS NOT NULL)`, the check that lets PostgreSQL 12+ set NOT NULL without a scan.
fn not_null_check(tokens: &[Token]) -> Option<String> {
    let inner: &[Token] = match tokens {
        [Token::Punct("("), inner @ .., Token::Punct(")")] => inner,
        [Token::Punct("("), inner @ .., Token::Punct(")"), Token::Word(n), Token::Word(v)]
            if n == "not" && v == "valid" =>
        {
            inner
        }
        _ => return None,
    };
    match inner {
        [col, Token::Word(is), Token::Word(not), Token::Word(null)]
            if is == "is" && not == "not" && null == "null" =>
        {
            name_of(Some(col))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(sql: &str) -> Op {
        read(sql, Engine::Postgresql)
    }

    fn alter(sql: &str) -> Vec<Action> {
        match pg(sql) {
            Op::AlterTable { actions, .. } => actions,
            other => panic!("not an ALTER TABLE: {other:?}"),
        }
    }

    #[test]
    fn tables_and_indexes_are_read_with_their_names() {
        assert_eq!(
            pg("CREATE TABLE IF NOT EXISTS app.\"Users\" (id int PRIMARY KEY, name character varying(20) NOT NULL, n numeric(10, 2), t text[], CONSTRAINT k CHECK (id > 0))"),
            Op::CreateTable {
                name: "Users".into(),
                columns: [
                    ("id", "int"),
                    ("name", "character varying(20)"),
                    ("n", "numeric(10,2)"),
                    ("t", "text[]")
                ]
                .map(|(c, t)| (c.to_string(), t.to_string()))
                .to_vec(),
            }
        );
        assert_eq!(
            pg("create unique index concurrently if not exists ix on only public.users using btree (lower(email)) where deleted is null"),
            Op::CreateIndex {
                name: Some("ix".into()),
                table: "users".into(),
                concurrently: true,
                mentions: ["using", "btree", "lower", "email", "where", "deleted", "is", "null"]
                    .map(String::from)
                    .to_vec(),
            }
        );
        // Clauses after the definitions, with parentheses of their own, are not part of the last column.
        for tail in [
            "PARTITION BY RANGE (a)",
            "INHERITS (p)",
            "WITH (fillfactor = 70)",
        ] {
            assert_eq!(
                pg(&format!("CREATE TABLE t (a int, b varchar(10)) {tail}")),
                Op::CreateTable {
                    name: "t".into(),
                    columns: [("a", "int"), ("b", "varchar(10)")]
                        .map(|(c, t)| (c.to_string(), t.to_string()))
                        .to_vec(),
                },
                "{tail}"
            );
        }
        assert_eq!(
            read("CREATE VIRTUAL TABLE f USING fts5(a)", Engine::Sqlite),
            Op::CreateTable {
                name: "f".into(),
                columns: Vec::new()
            }
        );
        assert_eq!(
            pg("DROP TABLE IF EXISTS a, s.b CASCADE"),
            Op::DropTable {
                names: vec!["a".into(), "b".into()]
            }
        );
        assert_eq!(pg("SET LOCAL lock_timeout = '2s'"), Op::SetLockTimeout);
        assert_eq!(pg("RESET lock_timeout"), Op::ResetLockTimeout);
        assert_eq!(
            pg("SELECT set_config('lock_timeout', '2s', true)"),
            Op::SetLockTimeout
        );
        assert_eq!(pg("RESET statement_timeout"), Op::Setting);
        assert_eq!(pg("INSERT INTO t VALUES (1)"), Op::Other);
        assert_eq!(
            pg("ALTER INDEX IF EXISTS s.ix RENAME TO iy"),
            Op::RenameIndex {
                from: "ix".into(),
                to: "iy".into()
            }
        );
        assert_eq!(pg("ALTER INDEX ix SET TABLESPACE x"), Op::Other);
    }

    #[test]
    fn added_columns_tell_volatile_defaults_from_stable_ones() {
        let add = |sql: &str| match alter(sql).remove(0) {
            Action::AddColumn {
                not_null,
                has_default,
                rewrites,
                ..
            } => (not_null, has_default, rewrites),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            add("ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()"),
            (false, true, true)
        );
        assert_eq!(
            add("ALTER TABLE t ADD c timestamptz NOT NULL DEFAULT now()"),
            (true, true, false)
        );
        assert_eq!(
            add("ALTER TABLE t ADD c numeric DEFAULT 0::numeric(10, 2) NOT NULL"),
            (true, true, false)
        );
        assert_eq!(
            add("ALTER TABLE t ADD c int NOT NULL"),
            (true, false, false)
        );
        assert_eq!(add("ALTER TABLE t ADD c bigserial"), (false, true, true));
        assert_eq!(
            add("ALTER TABLE t ADD c tsvector GENERATED ALWAYS AS (to_tsvector('english', b)) STORED"),
            (false, true, true)
        );
        assert_eq!(
            add("ALTER TABLE t ADD c int DEFAULT my_next()"),
            (false, true, true)
        );
        assert_eq!(
            add("ALTER TABLE t ADD id bigint GENERATED ALWAYS AS IDENTITY"),
            (false, true, true)
        );
        // A cast with a type modifier is not a call.
        assert_eq!(
            add("ALTER TABLE t ADD c varchar(20) NOT NULL DEFAULT ''::varchar(20)"),
            (true, true, false)
        );
        assert_eq!(
            add("ALTER TABLE t ADD c varchar(20) DEFAULT 'a'::character varying(20)"),
            (false, true, false)
        );
    }

    #[test]
    fn alter_table_actions_are_read_one_by_one() {
        assert_eq!(
            alter("ALTER TABLE ONLY t ALTER COLUMN a TYPE bigint, ALTER b SET NOT NULL, DROP COLUMN IF EXISTS c, DROP CONSTRAINT k, RENAME d TO e"),
            vec![
                Action::AlterType {
                    column: "a".into(),
                    type_name: "bigint".into(),
                    using_or_collate: false
                },
                Action::SetNotNull { column: "b".into() },
                Action::DropColumn { column: "c".into() },
                Action::Other,
                Action::RenameColumn { from: "d".into(), to: "e".into() },
            ]
        );
        assert_eq!(
            alter("ALTER TABLE t ADD CONSTRAINT k CHECK (a IS NOT NULL) NOT VALID"),
            vec![Action::AddCheck {
                name: Some("k".into()),
                not_valid: true,
                not_null_of: Some("a".into())
            }]
        );
        assert_eq!(
            alter("ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id)"),
            vec![Action::AddForeignKey { not_valid: false }]
        );
        assert_eq!(
            alter("alter table t rename to u"),
            vec![Action::RenameTable { to: "u".into() }]
        );
        assert_eq!(
            alter("ALTER TABLE t ALTER COLUMN a SET DATA TYPE character varying(30) USING a::varchar(30)"),
            vec![Action::AlterType {
                column: "a".into(),
                type_name: "character varying(30)".into(),
                using_or_collate: true
            }]
        );
        assert_eq!(
            alter("ALTER TABLE t VALIDATE CONSTRAINT k"),
            vec![Action::ValidateConstraint { name: "k".into() }]
        );
    }
}
