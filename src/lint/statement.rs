//! What a statement does to the schema, as far as the lint rules care: read from its tokens (the schema
//! engine's tokenizer, so quoting, comments and case are handled as the database handles them), never from
//! its text. Anything the rules do not look at is [`Op::Other`].

use crate::engine::Engine;
use crate::schema::tokens::{Sql, Token};

/// One statement's effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    CreateTable {
        name: String,
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
        not_valid: bool,
        /// The column a `CHECK (col IS NOT NULL)` is about.
        not_null_of: Option<String>,
    },
    AlterType {
        column: String,
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

/// Functions that are fine as a default on PostgreSQL 11+: stable or immutable, so the value is computed once
/// and stored in the catalog instead of in every row. Anything else (a user function is volatile unless
/// declared otherwise) counts as volatile.
const STABLE_FUNCTIONS: &[&str] = &[
    "abs",
    "array",
    "cast",
    "coalesce",
    "concat",
    "concat_ws",
    "current_setting",
    "current_timestamp",
    "current_time",
    "date_trunc",
    "greatest",
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
    "round",
    "row",
    "statement_timestamp",
    "timezone",
    "to_char",
    "to_date",
    "to_timestamp",
    "transaction_timestamp",
    "trim",
    "upper",
];

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
            return match self.name() {
                Some(name) => Op::CreateTable { name },
                None => Op::Other,
            };
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

/// Splits tokens at the commas outside parentheses and brackets.
fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Punct("(" | "[") => depth += 1,
            Token::Punct(")" | "]") => depth = depth.saturating_sub(1),
            Token::Punct(",") if depth == 0 => {
                parts.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts
}

/// Whether `first second` occur next to each other outside parentheses.
fn has_pair(tokens: &[Token], first: &str, second: &str) -> bool {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Punct("(" | "[") => depth += 1,
            Token::Punct(")" | "]") => depth = depth.saturating_sub(1),
            Token::Word(w)
                if depth == 0 && w == first && word(tokens.get(i + 1)) == Some(second) =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

fn has_word(tokens: &[Token], keyword: &str) -> bool {
    tokens.iter().any(|t| word(Some(t)) == Some(keyword))
}

/// One action of an `ALTER TABLE`.
fn action(tokens: &[Token]) -> Action {
    let mut c = Cursor::new(tokens);
    if c.eat("add") {
        if c.eat("constraint") {
            c.name();
        }
        if c.is("foreign") {
            return Action::AddForeignKey {
                not_valid: has_pair(c.rest(), "not", "valid"),
            };
        }
        if c.eat("check") {
            return Action::AddCheck {
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
        if c.is("type") || c.eat_all(&["set", "data", "type"]) {
            return Action::AlterType { column };
        }
        if c.eat_all(&["set", "not", "null"]) {
            return Action::SetNotNull { column };
        }
        return Action::Other;
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
        not_null: has_pair(def, "not", "null") || has_pair(def, "primary", "key"),
        has_default: default.is_some() || serial || identity || generated_stored,
        rewrites: serial || identity || generated_stored || default.is_some_and(calls_volatile),
    }
}

/// A DEFAULT's expression: up to the next column constraint outside parentheses.
fn default_expression(tokens: &[Token]) -> &[Token] {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Punct("(" | "[") => depth += 1,
            Token::Punct(")" | "]") => depth = depth.saturating_sub(1),
            Token::Word(w)
                if depth == 0
                    && matches!(
                        w.as_str(),
                        "not"
                            | "null"
                            | "constraint"
                            | "check"
                            | "references"
                            | "unique"
                            | "primary"
                            | "generated"
                            | "collate"
                    ) =>
            {
                return &tokens[..i];
            }
            _ => {}
        }
    }
    tokens
}

/// Whether an expression calls a function that is not known to be stable. A name before `(` right after `::`
/// is a type with a modifier (`::numeric(10, 2)`), not a call.
fn calls_volatile(tokens: &[Token]) -> bool {
    tokens.windows(2).enumerate().any(|(i, pair)| {
        let cast = i > 0 && punct(tokens.get(i - 1), "::");
        match (&pair[0], &pair[1]) {
            (Token::Word(f) | Token::Quoted(f), Token::Punct("(")) => {
                !cast && !STABLE_FUNCTIONS.contains(&f.as_str())
            }
            _ => false,
        }
    })
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
            pg("CREATE TABLE IF NOT EXISTS app.\"Users\" (id int)"),
            Op::CreateTable {
                name: "Users".into()
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
        assert_eq!(
            read("CREATE VIRTUAL TABLE f USING fts5(a)", Engine::Sqlite),
            Op::CreateTable { name: "f".into() }
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
    }

    #[test]
    fn alter_table_actions_are_read_one_by_one() {
        assert_eq!(
            alter("ALTER TABLE ONLY t ALTER COLUMN a TYPE bigint, ALTER b SET NOT NULL, DROP COLUMN IF EXISTS c, DROP CONSTRAINT k, RENAME d TO e"),
            vec![
                Action::AlterType { column: "a".into() },
                Action::SetNotNull { column: "b".into() },
                Action::DropColumn { column: "c".into() },
                Action::Other,
                Action::RenameColumn { from: "d".into(), to: "e".into() },
            ]
        );
        assert_eq!(
            alter("ALTER TABLE t ADD CONSTRAINT k CHECK (a IS NOT NULL) NOT VALID"),
            vec![Action::AddCheck {
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
            alter("ALTER TABLE t ALTER COLUMN a SET DATA TYPE text"),
            vec![Action::AlterType { column: "a".into() }]
        );
    }
}
