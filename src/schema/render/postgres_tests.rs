use super::*;
use crate::engine::Engine;
use crate::schema::render::{plan, ColumnRename, Plan, TableRename};
use crate::schema::Storage;
use crate::schema::{
    Check, Columns, Deferrable, DomainCheck, Exclusion, Extension, FkAction, IndexPart,
    PartitionOf, PolicyCommand, PolicyName, PrimaryKey, Trigger, TriggerName, Unique,
};

fn sql(text: &str) -> Sql {
    Sql::postgres(text).unwrap()
}

fn n(name: &str) -> ObjectName {
    ObjectName {
        schema: Some("public".into()),
        name: name.into(),
    }
}

/// A table of `(name, type)` columns, the first its primary key, as PostgreSQL names it.
fn table(name: &str, columns: &[(&str, &str)]) -> Table {
    let mut t = Table::new(
        n(name),
        Columns::new(
            columns
                .iter()
                .map(|(c, ty)| Column::new(*c, Some(ty)))
                .collect(),
        )
        .unwrap(),
        TableOptions::Postgres { unlogged: false },
    );
    t.primary_key = Some(PrimaryKey {
        name: Some(format!("{name}_pkey")),
        columns: vec![KeyColumn::new(columns[0].0)],
        autoincrement: false,
        deferrable: Deferrable::No,
    });
    t
}

fn fk(from: &str, column: &str, to: &str) -> ForeignKey {
    ForeignKey {
        columns: vec![column.into()],
        references: n(to),
        referenced_columns: vec!["id".into()],
        on_delete: FkAction::NoAction,
        on_update: FkAction::NoAction,
        deferrable: Deferrable::No,
        match_full: false,
        not_valid: false,
        name: Some(format!("{from}_{column}_fkey")),
    }
}

fn view(name: &str, query: &str) -> View {
    View {
        name: n(name),
        columns: vec![],
        query: sql(query),
        materialized: false,
        indexes: Default::default(),
    }
}

fn schema(relations: Vec<Relation>) -> Schema {
    let mut s = Schema::new(Engine::Postgresql);
    for r in relations {
        s.add(r).unwrap();
    }
    s
}

fn statements(steps: &[Step]) -> Vec<String> {
    steps.iter().flat_map(|s| s.statements.clone()).collect()
}

/// Each step as whether it runs outside a transaction, and its statements.
fn autocommit_and_statements(steps: &[Step]) -> Vec<(bool, Vec<&str>)> {
    steps
        .iter()
        .map(|s| {
            (
                s.autocommit,
                s.statements.iter().map(String::as_str).collect(),
            )
        })
        .collect()
}

fn planned(current: &Schema, desired: &Schema, renames: &Renames, online: bool) -> Plan {
    plan(current, desired, renames, Options { online })
}

/// The upgrade's and the downgrade's statements.
fn up_down(current: &Schema, desired: &Schema) -> (Vec<String>, Vec<String>) {
    let p = planned(current, desired, &Renames::default(), false);
    (statements(&p.up), statements(&p.down))
}

fn hazards(steps: &[Step]) -> Vec<Hazard> {
    steps.iter().flat_map(|s| s.hazards.clone()).collect()
}

fn mood(labels: &[&str]) -> EnumType {
    EnumType {
        name: n("mood"),
        labels: labels.iter().map(|l| l.to_string()).collect(),
    }
}

/// A schema with one of nearly everything PostgreSQL's model holds.
fn everything() -> Schema {
    let mut s = schema(vec![]);
    s.schemas.insert("audit".into());
    s.extensions.insert(
        "pgcrypto".into(),
        Extension {
            name: "pgcrypto".into(),
            schema: "public".into(),
        },
    );
    s.enums.insert(n("mood"), mood(&["sad", "ok"]));
    let mut users = table(
        "users",
        &[("id", "bigint"), ("email", "text"), ("m", "mood")],
    );
    users.uniques.insert(Unique {
        columns: vec![KeyColumn::new("email")],
        name: Some("users_email_key".into()),
        on_conflict: None,
        nulls_not_distinct: false,
        deferrable: Deferrable::No,
    });
    users.indexes.insert(
        "users_lower_email".into(),
        Index {
            name: "users_lower_email".into(),
            unique: true,
            parts: vec![IndexPart {
                key: IndexKey::Expression(sql("lower(email)")),
                collation: None,
                opclass: None,
                descending: false,
            }],
            predicate: Some(sql("(email IS NOT NULL)")),
            method: Some("btree".into()),
            include: vec![],
            nulls_not_distinct: false,
        },
    );
    s.add(users).unwrap();
    s.add(view(
        "active",
        " SELECT users.id,\n    users.email\n   FROM users;",
    ))
    .unwrap();
    s.functions.insert(touch().name.clone(), touch());
    s.add_trigger(Trigger {
        name: TriggerName {
            on: n("users"),
            name: "users_touch".into(),
        },
        definition: sql("BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION touch()"),
    })
    .unwrap();
    s.comments
        .insert(CommentOn::Relation(n("users")), "who signs in".into());
    s
}

fn touch() -> Function {
    Function {
        name: crate::schema::FunctionName {
            name: n("touch"),
            arguments: String::new(),
        },
        definition: "CREATE OR REPLACE FUNCTION public.touch()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function$BEGIN RETURN NEW; END$function$\n".into(),
    }
}

#[test]
fn equal_schemas_render_nothing() {
    let p = planned(&everything(), &everything(), &Renames::default(), true);
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn a_schema_is_created_in_dependency_order_and_dropped_in_reverse() {
    let (up, down) = up_down(&schema(vec![]), &everything());
    assert_eq!(
        up,
        [
            "CREATE SCHEMA audit",
            "CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public",
            "CREATE TYPE public.mood AS ENUM ('sad', 'ok')",
            touch().definition.trim(),
            "CREATE TABLE public.users (\n    id bigint,\n    email text,\n    m mood,\n    \
             CONSTRAINT users_pkey PRIMARY KEY (id),\n    \
             CONSTRAINT users_email_key UNIQUE (email)\n)",
            "CREATE UNIQUE INDEX users_lower_email ON public.users (lower(email)) WHERE (email IS NOT NULL)",
            "CREATE VIEW public.active AS\nSELECT users.id,\n    users.email\n   FROM users",
            "CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION touch()",
            "COMMENT ON TABLE public.users IS 'who signs in'",
        ]
    );
    assert_eq!(
        down,
        [
            "DROP TRIGGER users_touch ON public.users",
            "DROP VIEW public.active",
            "DROP TABLE public.users",
            "DROP FUNCTION public.touch()",
            "DROP TYPE public.mood",
            "DROP EXTENSION pgcrypto",
            "DROP SCHEMA audit",
        ]
    );
}

#[test]
fn columns_are_written_with_every_part_postgresql_has() {
    let mut t = table("t", &[("id", "integer")]);
    let mut cols: Vec<Column> = t.columns.iter().cloned().collect();
    cols[0].value = ColumnValue::Identity(Identity::Always);
    cols[0].nullable = false;
    let mut name = Column::new("name", Some("character varying(20)"));
    name.collation = Some("C".into());
    name.nullable = false;
    name.value = ColumnValue::Default(sql("'x'::character varying"));
    let mut lower = Column::new("lower_name", Some("text"));
    lower.value = ColumnValue::Generated {
        expression: sql("lower((name)::text)"),
        storage: Storage::Stored,
    };
    let mut at = Column::new("at", Some("tstzrange"));
    at.value = ColumnValue::Default(sql("tstzrange(now(), (now() + '7 days'::interval))"));
    cols.extend([name, lower, at]);
    t.columns = Columns::new(cols).unwrap();
    t.checks.insert(Check {
        expression: sql("(length((name)::text) > 0)"),
        not_valid: false,
        name: Some("t_name_check".into()),
    });
    t.exclusions.insert(Exclusion {
        definition: sql("EXCLUDE USING gist (at WITH &&)"),
        name: "t_at_excl".into(),
    });
    t.options = TableOptions::Postgres { unlogged: true };
    let (up, _) = up_down(&schema(vec![]), &schema(vec![t.into()]));
    assert_eq!(
        up,
        ["CREATE UNLOGGED TABLE public.t (\n    \
          id integer GENERATED ALWAYS AS IDENTITY,\n    \
          name character varying(20) COLLATE \"C\" NOT NULL DEFAULT 'x'::character varying,\n    \
          lower_name text GENERATED ALWAYS AS (lower((name)::text)) STORED,\n    \
          at tstzrange DEFAULT tstzrange(now(), (now() + '7 days'::interval)),\n    \
          CONSTRAINT t_pkey PRIMARY KEY (id),\n    \
          CONSTRAINT t_name_check CHECK (length((name)::text) > 0),\n    \
          CONSTRAINT t_at_excl EXCLUDE USING gist (at WITH &&)\n)"]
    );
}

#[test]
fn partitions_follow_their_parent_and_changed_partitioning_recreates_the_table() {
    let by = |key: &str, from: &str| {
        let mut parent = table("events", &[("id", "bigint"), ("at", "date")]);
        parent.primary_key = None;
        parent.partition_by = Some(sql(key));
        let mut part = Table::new(
            n("events_2020"),
            Columns::default(),
            TableOptions::Postgres { unlogged: false },
        );
        part.partition_of = Some(PartitionOf {
            parent: n("events"),
            bound: sql(&match key {
                "LIST (at)" => format!("FOR VALUES IN ('{from}')"),
                _ => format!("FOR VALUES FROM ('{from}') TO ('2021-01-01')"),
            }),
        });
        schema(vec![part.into(), parent.into()])
    };
    let (up, down) = up_down(&schema(vec![]), &by("RANGE (at)", "2020-01-01"));
    assert_eq!(
        up,
        [
            "CREATE TABLE public.events (\n    id bigint,\n    at date\n) PARTITION BY RANGE (at)",
            "CREATE TABLE public.events_2020 PARTITION OF public.events \
             FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')",
        ]
    );
    assert_eq!(
        down,
        ["DROP TABLE public.events_2020", "DROP TABLE public.events"]
    );
    let p = planned(
        &by("RANGE (at)", "2020-01-01"),
        &by("RANGE (at)", "2020-07-01"),
        &Renames::default(),
        false,
    );
    assert_eq!(
        statements(&p.up),
        [
            "DROP TABLE public.events_2020",
            "CREATE TABLE public.events_2020 PARTITION OF public.events \
             FOR VALUES FROM ('2020-07-01') TO ('2021-01-01')",
        ]
    );
    assert!(hazards(&p.up).contains(&Hazard::DropsTable {
        table: n("events_2020")
    }));
    let p = planned(
        &by("RANGE (at)", "2020-01-01"),
        &by("LIST (at)", "2020-01-01"),
        &Renames::default(),
        false,
    );
    assert_eq!(
        statements(&p.up)[..3],
        [
            "DROP TABLE public.events_2020",
            "DROP TABLE public.events",
            "CREATE TABLE public.events (\n    id bigint,\n    at date\n) PARTITION BY LIST (at)",
        ]
    );
    assert!(hazards(&p.up).contains(&Hazard::DropsTable { table: n("events") }));
}

#[test]
fn tables_that_reference_each_other_are_created_first_and_their_keys_added_after() {
    let mut a = table("a", &[("id", "integer"), ("b_id", "integer")]);
    a.foreign_keys.insert(fk("a", "b_id", "b"));
    let mut b = table("b", &[("id", "integer"), ("a_id", "integer")]);
    b.foreign_keys.insert(ForeignKey {
        on_delete: FkAction::Cascade,
        deferrable: Deferrable::InitiallyDeferred,
        match_full: true,
        ..fk("b", "a_id", "a")
    });
    let (up, down) = up_down(&schema(vec![]), &schema(vec![a.into(), b.into()]));
    assert_eq!(
        up,
        [
            "CREATE TABLE public.a (\n    id integer,\n    b_id integer,\n    CONSTRAINT a_pkey PRIMARY KEY (id)\n)",
            "CREATE TABLE public.b (\n    id integer,\n    a_id integer,\n    CONSTRAINT b_pkey PRIMARY KEY (id)\n)",
            "ALTER TABLE public.a ADD CONSTRAINT a_b_id_fkey FOREIGN KEY (b_id) REFERENCES public.b (id)",
            "ALTER TABLE public.b ADD CONSTRAINT b_a_id_fkey FOREIGN KEY (a_id) REFERENCES public.a (id) \
             MATCH FULL ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED",
        ]
    );
    assert_eq!(
        down,
        [
            "ALTER TABLE public.a DROP CONSTRAINT a_b_id_fkey",
            "DROP TABLE public.b",
            "DROP TABLE public.a",
        ]
    );
}

#[test]
fn a_type_change_under_two_chained_views_drops_and_recreates_them_around_it() {
    let with = |ty: &str| {
        schema(vec![
            table("t", &[("id", "integer"), ("s", ty)]).into(),
            view("v1", "SELECT t.id, t.s FROM t").into(),
            view("v2", "SELECT v1.s FROM v1").into(),
            view("other", "SELECT t.id FROM t").into(),
        ])
    };
    let (up, down) = up_down(&with("character varying(10)"), &with("text"));
    assert_eq!(
        up,
        [
            "DROP VIEW public.v2",
            "DROP VIEW public.v1",
            "ALTER TABLE public.t ALTER COLUMN s TYPE text USING s::text",
            "CREATE VIEW public.v1 AS\nSELECT t.id, t.s FROM t",
            "CREATE VIEW public.v2 AS\nSELECT v1.s FROM v1",
        ]
    );
    assert_eq!(
        down[2],
        "ALTER TABLE public.t ALTER COLUMN s TYPE character varying(10) USING s::character varying(10)"
    );
    let p = planned(
        &with("text"),
        &with("character varying(10)"),
        &Renames::default(),
        false,
    );
    assert_eq!(
        hazards(&p.up),
        [
            Hazard::NarrowsType {
                table: n("t"),
                column: "s".into(),
                from: "text".into(),
                to: "character varying(10)".into(),
            },
            Hazard::RewritesTable { table: n("t") },
        ]
    );
    assert!(hazards(&p.down).is_empty());
}

#[test]
fn a_dropped_column_under_a_view_drops_the_view_first() {
    let from = schema(vec![
        table("t", &[("id", "integer"), ("email", "text")]).into(),
        view("v", "SELECT t.id, t.email FROM t").into(),
    ]);
    let to = schema(vec![
        table("t", &[("id", "integer")]).into(),
        view("v", "SELECT t.id FROM t").into(),
    ]);
    let (up, _) = up_down(&from, &to);
    assert_eq!(
        up,
        [
            "DROP VIEW public.v",
            "ALTER TABLE public.t DROP COLUMN email",
            "CREATE VIEW public.v AS\nSELECT t.id FROM t",
        ]
    );
}

#[test]
fn an_added_enum_label_is_its_own_autocommit_step_and_a_removed_one_swaps_the_type() {
    let with = |labels: &[&str]| {
        let mut t = table("t", &[("id", "integer"), ("m", "mood"), ("ms", "mood[]")]);
        let mut cols: Vec<Column> = t.columns.iter().cloned().collect();
        cols[1].value = ColumnValue::Default(sql("'ok'::mood"));
        t.columns = Columns::new(cols).unwrap();
        let mut s = schema(vec![t.into()]);
        s.enums.insert(n("mood"), mood(labels));
        s
    };
    let p = planned(
        &with(&["sad", "ok"]),
        &with(&["meh", "sad", "ok", "happy"]),
        &Renames::default(),
        false,
    );
    assert_eq!(
        p.up,
        [Step {
            statements: vec![
                "ALTER TYPE public.mood ADD VALUE 'meh' BEFORE 'sad'".into(),
                "ALTER TYPE public.mood ADD VALUE 'happy' AFTER 'ok'".into(),
            ],
            hazards: vec![],
            autocommit: true,
        }]
    );
    assert_eq!(
        p.down,
        [Step {
            statements: vec![
                "CREATE TYPE public.mood__new AS ENUM ('sad', 'ok')".into(),
                "ALTER TABLE public.t ALTER COLUMN m DROP DEFAULT".into(),
                "ALTER TABLE public.t ALTER COLUMN m TYPE public.mood__new USING m::text::public.mood__new"
                    .into(),
                "ALTER TABLE public.t ALTER COLUMN ms TYPE public.mood__new[] USING ms::text[]::public.mood__new[]"
                    .into(),
                "DROP TYPE public.mood".into(),
                "ALTER TYPE public.mood__new RENAME TO mood".into(),
                "ALTER TABLE public.t ALTER COLUMN m SET DEFAULT 'ok'::mood".into(),
            ],
            hazards: vec![
                Hazard::DropsEnumValues {
                    name: n("mood"),
                    labels: vec!["meh".into(), "happy".into()],
                },
                Hazard::RewritesTable { table: n("t") },
            ],
            autocommit: false,
        }]
    );
    assert!(p.down[0].hazards[0].loses_data());
}

#[test]
fn a_swapped_enum_recreates_the_views_over_its_columns() {
    let with = |labels: &[&str]| {
        let mut s = schema(vec![
            table("t", &[("id", "integer"), ("m", "mood")]).into(),
            view("v", "SELECT t.m FROM t").into(),
        ]);
        s.enums.insert(n("mood"), mood(labels));
        s
    };
    let (up, _) = up_down(&with(&["a", "b"]), &with(&["b", "a"]));
    assert_eq!(up.first().map(String::as_str), Some("DROP VIEW public.v"));
    assert_eq!(
        up.last().map(String::as_str),
        Some("CREATE VIEW public.v AS\nSELECT t.m FROM t")
    );
}

#[test]
fn a_swapped_enum_recreates_the_checks_and_indexes_over_it_around_the_swap() {
    let index = |name: &str, key: IndexKey, predicate: Option<&str>| Index {
        name: name.into(),
        unique: false,
        parts: vec![IndexPart {
            key,
            collation: None,
            opclass: None,
            descending: false,
        }],
        predicate: predicate.map(sql),
        method: Some("btree".into()),
        include: vec![],
        nulls_not_distinct: false,
    };
    let check = |name: &str, expression: &str| Check {
        expression: sql(expression),
        not_valid: false,
        name: Some(name.into()),
    };
    let with = |labels: &[&str]| {
        let mut t = table("t", &[("id", "integer"), ("m", "mood")]);
        let mut cols: Vec<Column> = t.columns.iter().cloned().collect();
        cols[1].value = ColumnValue::Default(sql("'ok'::mood"));
        t.columns = Columns::new(cols).unwrap();
        t.checks.insert(check("t_m_check", "(m <> 'sad'::mood)"));
        t.checks.insert(check("t_id_check", "(id > 0)"));
        t.exclusions.insert(Exclusion {
            definition: sql("EXCLUDE USING btree (id WITH =) WHERE ((m = 'ok'::mood))"),
            name: "t_one_ok".into(),
        });
        for i in [
            index(
                "t_ok",
                IndexKey::Column("id".into()),
                Some("(m = 'ok'::mood)"),
            ),
            index(
                "t_sad",
                IndexKey::Expression(sql("(m = 'sad'::mood)")),
                None,
            ),
            // Neither reads the enum: PostgreSQL rebuilds the first itself, the second is untouched.
            index("t_m", IndexKey::Column("m".into()), None),
            index(
                "t_positive",
                IndexKey::Column("id".into()),
                Some("(id > 0)"),
            ),
        ] {
            t.indexes.insert(i.name.clone(), i);
        }
        let mut s = schema(vec![t.into()]);
        s.enums.insert(n("mood"), mood(labels));
        s
    };
    let swap = |labels: &str| {
        vec![
            "DROP INDEX public.t_ok".to_string(),
            "DROP INDEX public.t_sad".into(),
            "ALTER TABLE public.t DROP CONSTRAINT t_m_check".into(),
            "ALTER TABLE public.t DROP CONSTRAINT t_one_ok".into(),
            format!("CREATE TYPE public.mood__new AS ENUM ({labels})"),
            "ALTER TABLE public.t ALTER COLUMN m DROP DEFAULT".into(),
            "ALTER TABLE public.t ALTER COLUMN m TYPE public.mood__new USING m::text::public.mood__new"
                .into(),
            "DROP TYPE public.mood".into(),
            "ALTER TYPE public.mood__new RENAME TO mood".into(),
            "ALTER TABLE public.t ALTER COLUMN m SET DEFAULT 'ok'::mood".into(),
            "ALTER TABLE public.t ADD CONSTRAINT t_m_check CHECK (m <> 'sad'::mood)".into(),
            "ALTER TABLE public.t ADD CONSTRAINT t_one_ok EXCLUDE USING btree (id WITH =) WHERE ((m = 'ok'::mood))"
                .into(),
            "CREATE INDEX t_ok ON public.t (id) WHERE (m = 'ok'::mood)".into(),
            "CREATE INDEX t_sad ON public.t ((m = 'sad'::mood))".into(),
        ]
    };
    let (up, down) = up_down(&with(&["sad", "ok"]), &with(&["ok", "sad"]));
    assert_eq!(up, swap("'ok', 'sad'"));
    assert_eq!(down, swap("'sad', 'ok'"));
}

#[test]
fn declared_renames_rename_tables_and_columns() {
    let from = schema(vec![table(
        "users",
        &[("id", "integer"), ("username", "text")],
    )
    .into()]);
    let to = schema(vec![table(
        "users",
        &[("id", "integer"), ("handle", "text")],
    )
    .into()]);
    let renames = Renames {
        tables: vec![],
        columns: vec![ColumnRename {
            table: n("users"),
            from: "username".into(),
            to: "handle".into(),
        }],
    };
    let p = planned(&from, &to, &renames, false);
    assert_eq!(
        statements(&p.up),
        ["ALTER TABLE public.users RENAME COLUMN username TO handle"]
    );
    assert_eq!(
        statements(&p.down),
        ["ALTER TABLE public.users RENAME COLUMN handle TO username"]
    );
    assert!(hazards(&p.up).is_empty());

    let to = schema(vec![table(
        "accounts",
        &[("id", "integer"), ("username", "text")],
    )
    .into()]);
    let renames = Renames {
        tables: vec![TableRename {
            from: n("users"),
            to: n("accounts"),
        }],
        columns: vec![],
    };
    let p = planned(&from, &to, &renames, false);
    // PostgreSQL keeps the old constraint names; they are renamed to what a new table would have.
    assert_eq!(
        statements(&p.up),
        [
            "ALTER TABLE public.users RENAME TO accounts",
            "ALTER TABLE public.accounts RENAME CONSTRAINT users_pkey TO accounts_pkey",
        ]
    );
    assert_eq!(
        statements(&p.down),
        [
            "ALTER TABLE public.accounts RENAME TO users",
            "ALTER TABLE public.users RENAME CONSTRAINT accounts_pkey TO users_pkey",
        ]
    );
}

#[test]
fn online_keys_are_built_concurrently_then_attached() {
    let from = schema(vec![
        table("t", &[("id", "integer"), ("email", "text")]).into()
    ]);
    let mut t = table("t", &[("id", "integer"), ("email", "text")]);
    t.uniques.insert(Unique {
        columns: vec![KeyColumn::new("email")],
        name: Some("t_email_key".into()),
        on_conflict: None,
        nulls_not_distinct: false,
        deferrable: Deferrable::No,
    });
    let p = planned(&from, &schema(vec![t.into()]), &Renames::default(), true);
    let shape = autocommit_and_statements(&p.up);
    assert_eq!(
        shape,
        [
            (
                true,
                vec![
                    "SET lock_timeout = '5s'",
                    "CREATE UNIQUE INDEX CONCURRENTLY t_email_key ON public.t (email)"
                ]
            ),
            (
                false,
                vec![
                    "SET lock_timeout = '5s'",
                    "ALTER TABLE public.t ADD CONSTRAINT t_email_key UNIQUE USING INDEX t_email_key"
                ]
            ),
            (false, vec!["RESET lock_timeout"]),
        ]
    );
    assert_eq!(
        p.up[0].hazards,
        [Hazard::NewUnique {
            table: n("t"),
            name: "t_email_key".into()
        }]
    );
}

#[test]
fn a_function_that_returns_another_type_is_dropped_and_created() {
    let with = |returns: &str, body: &str| {
        let f = Function {
            name: crate::schema::FunctionName {
                name: n("answer"),
                arguments: String::new(),
            },
            definition: format!(
                "CREATE OR REPLACE FUNCTION public.answer()\n RETURNS {returns}\n LANGUAGE sql\nAS $function$SELECT {body}$function$\n"
            ),
        };
        let mut s = schema(vec![]);
        s.functions.insert(f.name.clone(), f.clone());
        (s, f)
    };
    let ((from, _), (to, f)) = (with("integer", "42"), with("text", "'42'"));
    let (up, _) = up_down(&from, &to);
    assert_eq!(up, ["DROP FUNCTION public.answer()", f.definition.trim()]);
}

#[test]
fn column_changes_come_in_the_order_postgresql_accepts() {
    let with = |f: &dyn Fn(&mut Column)| {
        let mut t = table("t", &[("id", "integer"), ("c", "integer")]);
        let mut cols: Vec<Column> = t.columns.iter().cloned().collect();
        f(&mut cols[1]);
        t.columns = Columns::new(cols).unwrap();
        schema(vec![t.into()])
    };
    let plain = with(&|_| {});
    let identity = with(&|c| {
        c.nullable = false;
        c.value = ColumnValue::Identity(Identity::ByDefault);
    });
    let (up, down) = up_down(&plain, &identity);
    assert_eq!(
        up,
        [
            "ALTER TABLE public.t ALTER COLUMN c SET NOT NULL",
            "ALTER TABLE public.t ALTER COLUMN c ADD GENERATED BY DEFAULT AS IDENTITY",
        ]
    );
    assert_eq!(
        down,
        [
            "ALTER TABLE public.t ALTER COLUMN c DROP IDENTITY",
            "ALTER TABLE public.t ALTER COLUMN c DROP NOT NULL",
        ]
    );
    let bigint_default = with(&|c| {
        c.data_type = Some("bigint".into());
        c.value = ColumnValue::Default(sql("0"));
    });
    let text_default = with(&|c| {
        c.data_type = Some("text".into());
        c.value = ColumnValue::Default(sql("''::text"));
    });
    let p = planned(&bigint_default, &text_default, &Renames::default(), false);
    assert_eq!(
        statements(&p.up),
        [
            "ALTER TABLE public.t ALTER COLUMN c DROP DEFAULT",
            "ALTER TABLE public.t ALTER COLUMN c TYPE text USING c::text",
            "ALTER TABLE public.t ALTER COLUMN c SET DEFAULT ''::text",
        ]
    );
    let (up, down) = up_down(&plain, &bigint_default);
    assert_eq!(
        up,
        [
            "ALTER TABLE public.t ALTER COLUMN c TYPE bigint USING c::bigint",
            "ALTER TABLE public.t ALTER COLUMN c SET DEFAULT 0",
        ]
    );
    assert_eq!(
        down,
        [
            "ALTER TABLE public.t ALTER COLUMN c DROP DEFAULT",
            "ALTER TABLE public.t ALTER COLUMN c TYPE integer USING c::integer",
        ]
    );
    let generated = with(&|c| {
        c.value = ColumnValue::Generated {
            expression: sql("(id * 2)"),
            storage: Storage::Stored,
        }
    });
    let (up, down) = up_down(&plain, &generated);
    assert_eq!(
        up,
        [
            "ALTER TABLE public.t DROP COLUMN c",
            "ALTER TABLE public.t ADD COLUMN c integer GENERATED ALWAYS AS (id * 2) STORED",
        ]
    );
    assert_eq!(
        down,
        ["ALTER TABLE public.t ALTER COLUMN c DROP EXPRESSION"]
    );
    let wider = with(&|c| {
        c.data_type = Some("bigint".into());
        c.value = ColumnValue::Generated {
            expression: sql("(id * 2)"),
            storage: Storage::Stored,
        }
    });
    let (up, _) = up_down(&generated, &wider);
    assert_eq!(up, ["ALTER TABLE public.t ALTER COLUMN c TYPE bigint"]);
}

#[test]
fn hazards_name_what_can_fail_or_lose_data() {
    let from = schema(vec![
        table("t", &[("id", "integer"), ("old", "text")]).into()
    ]);
    let mut t = table("t", &[("id", "integer"), ("c", "text")]);
    let mut cols: Vec<Column> = t.columns.iter().cloned().collect();
    cols[1].nullable = false;
    t.columns = Columns::new(cols).unwrap();
    t.checks.insert(Check {
        expression: sql("(id > 0)"),
        not_valid: false,
        name: Some("t_id_check".into()),
    });
    let to = schema(vec![t.into()]);
    let p = planned(&from, &to, &Renames::default(), false);
    assert_eq!(
        statements(&p.up),
        [
            "ALTER TABLE public.t DROP COLUMN old",
            "ALTER TABLE public.t ADD COLUMN c text NOT NULL",
            "ALTER TABLE public.t ADD CONSTRAINT t_id_check CHECK (id > 0)",
        ]
    );
    assert_eq!(
        hazards(&p.up),
        [
            Hazard::DropsColumn {
                table: n("t"),
                column: "old".into()
            },
            Hazard::NotNullWithoutDefault {
                table: n("t"),
                column: "c".into()
            },
            Hazard::NewCheck {
                table: n("t"),
                expression: "(id > 0)".into()
            },
        ]
    );
}

#[test]
fn online_forms_keep_a_live_table_usable() {
    let from = schema(vec![
        table("parent", &[("id", "integer")]).into(),
        table("t", &[("id", "integer"), ("parent_id", "integer")]).into(),
    ]);
    let mut t = table("t", &[("id", "integer"), ("parent_id", "integer")]);
    let mut cols: Vec<Column> = t.columns.iter().cloned().collect();
    cols[1].nullable = false;
    t.columns = Columns::new(cols).unwrap();
    t.foreign_keys.insert(fk("t", "parent_id", "parent"));
    t.indexes.insert(
        "t_parent".into(),
        Index {
            name: "t_parent".into(),
            unique: false,
            parts: vec![IndexPart::column("parent_id")],
            predicate: None,
            method: Some("btree".into()),
            include: vec!["id".into()],
            nulls_not_distinct: false,
        },
    );
    let to = schema(vec![table("parent", &[("id", "integer")]).into(), t.into()]);
    let p = planned(&from, &to, &Renames::default(), true);
    let timeout = "SET lock_timeout = '5s'";
    let shape = autocommit_and_statements(&p.up);
    assert_eq!(
        shape,
        [
            (
                false,
                vec![
                    timeout,
                    "ALTER TABLE public.t ADD CONSTRAINT t_parent_id_not_null CHECK (parent_id IS NOT NULL) NOT VALID",
                ]
            ),
            (
                true,
                vec![
                    timeout,
                    "ALTER TABLE public.t VALIDATE CONSTRAINT t_parent_id_not_null"
                ]
            ),
            (
                false,
                vec![
                    timeout,
                    "ALTER TABLE public.t ALTER COLUMN parent_id SET NOT NULL",
                    "ALTER TABLE public.t DROP CONSTRAINT t_parent_id_not_null",
                ]
            ),
            (
                false,
                vec![
                    timeout,
                    "ALTER TABLE public.t ADD CONSTRAINT t_parent_id_fkey FOREIGN KEY (parent_id) \
                     REFERENCES public.parent (id) NOT VALID",
                ]
            ),
            (
                true,
                vec![
                    timeout,
                    "ALTER TABLE public.t VALIDATE CONSTRAINT t_parent_id_fkey"
                ]
            ),
            (
                true,
                vec![
                    timeout,
                    "CREATE INDEX CONCURRENTLY t_parent ON public.t (parent_id) INCLUDE (id)"
                ]
            ),
            (false, vec!["RESET lock_timeout"]),
        ]
    );
    let down: Vec<&str> = p
        .down
        .iter()
        .flat_map(|s| s.statements.iter().map(String::as_str))
        .collect();
    assert_eq!(
        down,
        [
            timeout,
            "DROP INDEX CONCURRENTLY public.t_parent",
            timeout,
            "ALTER TABLE public.t DROP CONSTRAINT t_parent_id_fkey",
            timeout,
            "ALTER TABLE public.t ALTER COLUMN parent_id DROP NOT NULL",
            "RESET lock_timeout",
        ]
    );
    // A new table needs none of it.
    let p = planned(&schema(vec![]), &to, &Renames::default(), true);
    assert!(p.up.iter().all(|s| !s.autocommit));
    assert!(statements(&p.up).iter().all(|s| !s.contains("NOT VALID")));
}

#[test]
fn a_serial_s_sequence_is_created_before_its_table_and_owned_after() {
    let seq = Sequence {
        name: n("t_id_seq"),
        data_type: "integer".into(),
        start: 1,
        increment: 1,
        min_value: 1,
        max_value: i32::MAX as i64,
        cache: 1,
        cycle: false,
        owned_by: Some((n("t"), "id".into())),
    };
    let mut t = table("t", &[("id", "integer")]);
    let mut cols: Vec<Column> = t.columns.iter().cloned().collect();
    cols[0].nullable = false;
    cols[0].value = ColumnValue::Default(sql("nextval('t_id_seq'::regclass)"));
    t.columns = Columns::new(cols).unwrap();
    let mut with = schema(vec![t.into()]);
    with.sequences.insert(seq.name.clone(), seq.clone());
    let (up, down) = up_down(&schema(vec![]), &with);
    assert_eq!(
        up,
        [
            "CREATE SEQUENCE public.t_id_seq AS integer",
            "CREATE TABLE public.t (\n    id integer NOT NULL DEFAULT nextval('t_id_seq'::regclass),\n    \
             CONSTRAINT t_pkey PRIMARY KEY (id)\n)",
            "ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id",
        ]
    );
    assert_eq!(down, ["DROP TABLE public.t"]);
    let mut changed = with.clone();
    changed.sequences.insert(
        seq.name.clone(),
        Sequence {
            data_type: "bigint".into(),
            max_value: i64::MAX,
            increment: 2,
            cycle: true,
            ..seq
        },
    );
    let (up, down) = up_down(&with, &changed);
    assert_eq!(
        up,
        ["ALTER SEQUENCE public.t_id_seq AS bigint INCREMENT BY 2 MINVALUE 1 MAXVALUE 9223372036854775807 CYCLE"]
    );
    assert_eq!(
        down,
        ["ALTER SEQUENCE public.t_id_seq AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 NO CYCLE"]
    );
}

#[test]
fn a_changed_function_is_replaced_and_a_trigger_waits_for_its_function() {
    let mut changed = everything();
    let mut f = touch();
    f.definition = f
        .definition
        .replace("RETURN NEW", "NEW.at = now(); RETURN NEW");
    changed.functions.insert(f.name.clone(), f.clone());
    let (up, down) = up_down(&everything(), &changed);
    assert_eq!(up, [f.definition.trim()]);
    assert_eq!(down, [touch().definition.trim()]);
}

#[test]
fn comments_materialized_views_and_indexes_are_written_for_their_kind() {
    let mut mv = view("totals", " SELECT count(*) AS count\n   FROM users;");
    mv.materialized = true;
    let mut with = everything();
    with.add(mv).unwrap();
    with.comments
        .insert(CommentOn::Relation(n("totals")), "refreshed nightly".into());
    with.comments.insert(
        CommentOn::Column {
            table: n("users"),
            column: "email".into(),
        },
        "it's unique".into(),
    );
    with.comments.insert(
        CommentOn::Index {
            table: n("users"),
            name: "users_lower_email".into(),
        },
        "case-blind".into(),
    );
    with.comments.remove(&CommentOn::Relation(n("users")));
    let (up, down) = up_down(&everything(), &with);
    assert_eq!(
        up,
        [
            "CREATE MATERIALIZED VIEW public.totals AS\nSELECT count(*) AS count\n   FROM users",
            "COMMENT ON MATERIALIZED VIEW public.totals IS 'refreshed nightly'",
            "COMMENT ON TABLE public.users IS NULL",
            "COMMENT ON COLUMN public.users.email IS 'it''s unique'",
            "COMMENT ON INDEX public.users_lower_email IS 'case-blind'",
        ]
    );
    assert_eq!(
        down,
        [
            "DROP MATERIALIZED VIEW public.totals",
            "COMMENT ON TABLE public.users IS 'who signs in'",
            "COMMENT ON COLUMN public.users.email IS NULL",
            "COMMENT ON INDEX public.users_lower_email IS NULL",
        ]
    );
}

#[test]
fn a_view_created_again_gets_its_comment_again() {
    let with = |query: &str| {
        let mut s = schema(vec![
            table("t", &[("id", "integer")]).into(),
            view("v", query).into(),
        ]);
        s.comments.insert(CommentOn::Relation(n("v")), "ids".into());
        s
    };
    let (up, _) = up_down(
        &with("SELECT t.id FROM t"),
        &with("SELECT t.id FROM t WHERE (t.id > 0)"),
    );
    assert_eq!(
        up,
        [
            "DROP VIEW public.v",
            "CREATE VIEW public.v AS\nSELECT t.id FROM t WHERE (t.id > 0)",
            "COMMENT ON VIEW public.v IS 'ids'",
        ]
    );
}

#[test]
fn indexes_are_written_with_method_opclass_collation_and_order() {
    let index = Index {
        name: "t_idx".into(),
        unique: false,
        parts: vec![
            IndexPart {
                key: IndexKey::Column("name".into()),
                collation: Some("C".into()),
                opclass: Some("text_pattern_ops".into()),
                descending: true,
            },
            IndexPart {
                key: IndexKey::Expression(sql("(id + 1)")),
                collation: None,
                opclass: None,
                descending: false,
            },
        ],
        predicate: Some(sql("(id > 0)")),
        method: Some("btree".into()),
        include: vec![],
        nulls_not_distinct: false,
    };
    assert_eq!(
        create_index(&n("t"), &index, false),
        "CREATE INDEX t_idx ON public.t (name COLLATE \"C\" text_pattern_ops DESC, (id + 1)) WHERE (id > 0)"
    );
    let gin = Index {
        name: "t_tags".into(),
        parts: vec![IndexPart::column("tags")],
        predicate: None,
        method: Some("gin".into()),
        ..index
    };
    assert_eq!(
        create_index(&n("t"), &gin, false),
        "CREATE INDEX t_tags ON public.t USING gin (tags)"
    );
}

#[test]
fn names_are_quoted_only_when_postgresql_needs_it() {
    assert_eq!(ident("users"), "users");
    assert_eq!(ident("_x$1"), "_x$1");
    assert_eq!(ident("Users"), "\"Users\"");
    assert_eq!(ident("user"), "\"user\"");
    assert_eq!(ident("order"), "\"order\"");
    assert_eq!(ident("uuid-ossp"), "\"uuid-ossp\"");
    assert_eq!(ident("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert!(
        KEYWORDS.windows(2).all(|w| w[0] < w[1]),
        "KEYWORDS must stay sorted"
    );
}

#[test]
fn an_extension_or_function_with_a_name_to_quote_is_quoted() {
    let mut s = schema(vec![]);
    s.extensions.insert(
        "uuid-ossp".into(),
        Extension {
            name: "uuid-ossp".into(),
            schema: "public".into(),
        },
    );
    let f = Function {
        name: crate::schema::FunctionName {
            name: n("Do"),
            arguments: "integer, text".into(),
        },
        definition: "CREATE OR REPLACE PROCEDURE public.\"Do\"(integer, text)\n LANGUAGE sql\nAS $procedure$SELECT 1$procedure$".into(),
    };
    s.functions.insert(f.name.clone(), f);
    let (_, down) = up_down(&schema(vec![]), &s);
    assert_eq!(
        down,
        [
            "DROP PROCEDURE public.\"Do\"(integer, text)",
            "DROP EXTENSION \"uuid-ossp\"",
        ]
    );
}

#[test]
fn comments_on_types_and_schemas_and_immediate_deferrable_keys() {
    let mut with = everything();
    with.comments
        .insert(CommentOn::Type(n("mood")), "how it went".into());
    with.comments
        .insert(CommentOn::Schema("audit".into()), "kept apart".into());
    let mut t = table("t", &[("id", "integer"), ("user_id", "bigint")]);
    t.foreign_keys.insert(ForeignKey {
        deferrable: Deferrable::InitiallyImmediate,
        referenced_columns: vec![],
        ..fk("t", "user_id", "users")
    });
    with.add(t).unwrap();
    let (up, _) = up_down(&everything(), &with);
    assert_eq!(
        up,
        [
            "CREATE TABLE public.t (\n    id integer,\n    user_id bigint,\n    CONSTRAINT t_pkey PRIMARY KEY (id)\n)",
            "ALTER TABLE public.t ADD CONSTRAINT t_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users \
             DEFERRABLE INITIALLY IMMEDIATE",
            "COMMENT ON TYPE public.mood IS 'how it went'",
            "COMMENT ON SCHEMA audit IS 'kept apart'",
        ]
    );
}

#[test]
fn not_valid_constraints_are_added_after_their_table_and_never_validated() {
    let parent = table("parent", &[("id", "integer")]);
    let mut t = table("t", &[("id", "integer"), ("parent_id", "integer")]);
    t.checks.insert(Check {
        expression: sql("parent_id > 0"),
        not_valid: true,
        name: Some("t_positive".into()),
    });
    t.foreign_keys.insert(ForeignKey {
        not_valid: true,
        ..fk("t", "parent_id", "parent")
    });
    let bare = table("t", &[("id", "integer"), ("parent_id", "integer")]);
    // A new table: PostgreSQL ignores NOT VALID in CREATE TABLE, so both come after it.
    let from = schema(vec![parent.clone().into()]);
    let to = schema(vec![parent.clone().into(), t.clone().into()]);
    let (up, _) = up_down(&from, &to);
    assert_eq!(
        up,
        [
            "CREATE TABLE public.t (\n    id integer,\n    parent_id integer,\n    \
             CONSTRAINT t_pkey PRIMARY KEY (id)\n)",
            "ALTER TABLE public.t ADD CONSTRAINT t_parent_id_fkey FOREIGN KEY (parent_id) \
             REFERENCES public.parent (id) NOT VALID",
            "ALTER TABLE public.t ADD CONSTRAINT t_positive CHECK (parent_id > 0) NOT VALID",
        ]
    );
    // On a table that stays, online or not: one statement each, no validation, no hazard (rows are not read).
    let from = schema(vec![parent.clone().into(), bare.into()]);
    for online in [false, true] {
        let p = planned(&from, &to, &Renames::default(), online);
        assert!(hazards(&p.up).is_empty(), "{:?}", p.up);
        let up = statements(&p.up);
        assert!(up.iter().all(|s| !s.contains("VALIDATE")), "{up:?}");
        assert_eq!(
            up.iter().filter(|s| s.ends_with("NOT VALID")).count(),
            2,
            "{up:?}"
        );
    }
    // Validating one is a change like any other: here the constraint is made again, checked.
    let mut valid = t.clone();
    valid.checks = t
        .checks
        .iter()
        .map(|c| Check {
            not_valid: false,
            ..c.clone()
        })
        .collect();
    let (up, down) = up_down(&to, &schema(vec![parent.into(), valid.into()]));
    assert!(
        up.iter().any(|s| s.ends_with("CHECK (parent_id > 0)")),
        "{up:?}"
    );
    assert!(down.iter().any(|s| s.ends_with("NOT VALID")), "{down:?}");
}

#[test]
fn nulls_not_distinct_and_deferrable_keys_are_written_both_ways() {
    let from = schema(vec![
        table("t", &[("id", "integer"), ("a", "integer")]).into()
    ]);
    let mut t = table("t", &[("id", "integer"), ("a", "integer")]);
    t.primary_key.as_mut().unwrap().deferrable = Deferrable::InitiallyImmediate;
    t.uniques.insert(Unique {
        columns: vec![KeyColumn::new("a")],
        name: Some("t_a_key".into()),
        on_conflict: None,
        nulls_not_distinct: true,
        deferrable: Deferrable::InitiallyDeferred,
    });
    t.indexes.insert(
        "t_a".into(),
        Index {
            name: "t_a".into(),
            unique: true,
            parts: vec![IndexPart::column("a")],
            predicate: None,
            method: Some("btree".into()),
            include: vec!["id".into()],
            nulls_not_distinct: true,
        },
    );
    let to = schema(vec![t.into()]);
    let (up, down) = up_down(&from, &to);
    assert_eq!(
        up,
        [
            "ALTER TABLE public.t DROP CONSTRAINT t_pkey",
            "ALTER TABLE public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id) DEFERRABLE INITIALLY IMMEDIATE",
            "ALTER TABLE public.t ADD CONSTRAINT t_a_key UNIQUE NULLS NOT DISTINCT (a) \
             DEFERRABLE INITIALLY DEFERRED",
            "CREATE UNIQUE INDEX t_a ON public.t (a) INCLUDE (id) NULLS NOT DISTINCT",
        ]
    );
    assert_eq!(
        down,
        [
            "DROP INDEX public.t_a",
            "ALTER TABLE public.t DROP CONSTRAINT t_pkey",
            "ALTER TABLE public.t DROP CONSTRAINT t_a_key",
            "ALTER TABLE public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id)",
        ]
    );
    // A new table writes them in its CREATE TABLE; online, the key's index carries NULLS NOT DISTINCT and
    // the constraint that takes it over says when it is checked.
    let (up, _) = up_down(&schema(vec![]), &to);
    assert!(up[0].contains("CONSTRAINT t_pkey PRIMARY KEY (id) DEFERRABLE INITIALLY IMMEDIATE"));
    assert!(up[0].contains(
        "CONSTRAINT t_a_key UNIQUE NULLS NOT DISTINCT (a) DEFERRABLE INITIALLY DEFERRED"
    ));
    let online = planned(&from, &to, &Renames::default(), true);
    let shape = autocommit_and_statements(&online.up);
    assert!(
        shape.iter().any(|(_, s)| s.contains(
            &"CREATE UNIQUE INDEX CONCURRENTLY t_a_key ON public.t (a) NULLS NOT DISTINCT"
        )),
        "{shape:?}"
    );
    assert!(
        shape.iter().any(|(_, s)| s.contains(
            &"ALTER TABLE public.t ADD CONSTRAINT t_a_key UNIQUE USING INDEX t_a_key \
              DEFERRABLE INITIALLY DEFERRED"
        )),
        "{shape:?}"
    );
}

#[test]
fn a_materialized_view_s_indexes_follow_it_and_change_on_their_own() {
    let mut mv = view("totals", "SELECT count(*) AS n FROM users");
    mv.materialized = true;
    let plain = {
        let mut s = everything();
        s.add(mv.clone()).unwrap();
        s
    };
    let index = Index {
        name: "totals_n".into(),
        unique: true,
        parts: vec![IndexPart::column("n")],
        predicate: None,
        method: Some("btree".into()),
        include: vec![],
        nulls_not_distinct: false,
    };
    mv.indexes.insert("totals_n".into(), index);
    let indexed = {
        let mut s = everything();
        s.add(mv.clone()).unwrap();
        s
    };
    // Created with the view, in one step after it.
    let (up, down) = up_down(&everything(), &indexed);
    assert_eq!(
        up,
        [
            "CREATE MATERIALIZED VIEW public.totals AS\nSELECT count(*) AS n FROM users",
            "CREATE UNIQUE INDEX totals_n ON public.totals (n)",
        ]
    );
    assert_eq!(down, ["DROP MATERIALIZED VIEW public.totals"]);
    // On a view that stays, an index alone is made or dropped.
    assert_eq!(
        up_down(&plain, &indexed),
        (
            vec!["CREATE UNIQUE INDEX totals_n ON public.totals (n)".to_string()],
            vec!["DROP INDEX public.totals_n".to_string()]
        )
    );
    // A changed view is made again with its indexes.
    let mut changed = mv.clone();
    changed.query = sql("SELECT count(*) + 0 AS n FROM users");
    let mut other = everything();
    other.add(changed).unwrap();
    let (up, _) = up_down(&indexed, &other);
    assert_eq!(
        up,
        [
            "DROP MATERIALIZED VIEW public.totals",
            "CREATE MATERIALIZED VIEW public.totals AS\nSELECT count(*) + 0 AS n FROM users",
            "CREATE UNIQUE INDEX totals_n ON public.totals (n)",
        ]
    );
    // Online, an index on a view that stays is built without blocking its readers; one on a view made
    // again is built with it, as the view is not in use yet.
    let timeout = "SET lock_timeout = '5s'";
    let p = planned(&plain, &indexed, &Renames::default(), true);
    assert_eq!(
        autocommit_and_statements(&p.up),
        [
            (
                true,
                vec![
                    timeout,
                    "CREATE UNIQUE INDEX CONCURRENTLY totals_n ON public.totals (n)"
                ]
            ),
            (false, vec!["RESET lock_timeout"]),
        ]
    );
    let p = planned(&indexed, &other, &Renames::default(), true);
    assert!(p.up.iter().all(|s| !s.autocommit), "{:?}", p.up);
    assert!(statements(&p.up)
        .iter()
        .all(|s| !s.contains("CONCURRENTLY")));
}

#[test]
fn comments_on_constraints_triggers_functions_and_sequences() {
    let mut with = everything();
    with.sequences.insert(
        n("counter"),
        Sequence {
            name: n("counter"),
            data_type: "bigint".into(),
            start: 1,
            increment: 1,
            min_value: 1,
            max_value: i64::MAX,
            cache: 1,
            cycle: false,
            owned_by: None,
        },
    );
    let without = with.clone();
    for (on, text) in [
        (
            CommentOn::Constraint {
                table: n("users"),
                name: "users_email_key".into(),
            },
            "one each",
        ),
        (
            CommentOn::Trigger(TriggerName {
                on: n("users"),
                name: "users_touch".into(),
            }),
            "keeps time",
        ),
        (CommentOn::Function(touch().name), "sets updated_at"),
        (CommentOn::Sequence(n("counter")), "counts"),
    ] {
        with.comments.insert(on, text.into());
    }
    let (up, down) = up_down(&without, &with);
    assert_eq!(
        up,
        [
            "COMMENT ON CONSTRAINT users_email_key ON public.users IS 'one each'",
            "COMMENT ON TRIGGER users_touch ON public.users IS 'keeps time'",
            "COMMENT ON ROUTINE public.touch() IS 'sets updated_at'",
            "COMMENT ON SEQUENCE public.counter IS 'counts'",
        ]
    );
    assert_eq!(
        down,
        [
            "COMMENT ON CONSTRAINT users_email_key ON public.users IS NULL",
            "COMMENT ON TRIGGER users_touch ON public.users IS NULL",
            "COMMENT ON ROUTINE public.touch() IS NULL",
            "COMMENT ON SEQUENCE public.counter IS NULL",
        ]
    );
    // A trigger made again gets its comment again.
    let key = TriggerName {
        on: n("users"),
        name: "users_touch".into(),
    };
    let mut trigger = with.triggers()[&key].clone();
    trigger.definition = sql("BEFORE INSERT ON public.users FOR EACH ROW EXECUTE FUNCTION touch()");
    // The same schema with the trigger's definition changed.
    let mut rebuilt = Schema {
        relations: Default::default(),
        triggers: Default::default(),
        ..with.clone()
    };
    for r in with.relations() {
        rebuilt.add(r.clone()).unwrap();
    }
    rebuilt.add_trigger(trigger).unwrap();
    let (up, _) = up_down(&with, &rebuilt);
    assert_eq!(
        up.last().map(String::as_str),
        Some("COMMENT ON TRIGGER users_touch ON public.users IS 'keeps time'")
    );
    // A trigger or a sequence that goes takes its comment along: no `COMMENT ... IS NULL` after the drop.
    let mut gone = with.clone();
    gone.triggers.remove(&key);
    gone.comments.remove(&CommentOn::Trigger(key));
    gone.sequences.clear();
    gone.comments.remove(&CommentOn::Sequence(n("counter")));
    let (up, _) = up_down(&with, &gone);
    assert_eq!(
        up,
        [
            "DROP TRIGGER users_touch ON public.users",
            "DROP SEQUENCE public.counter"
        ]
    );
}

fn posint(checks: &[(&str, &str, bool)]) -> Domain {
    Domain {
        name: n("posint"),
        base: "integer".into(),
        collation: None,
        default: None,
        not_null: false,
        checks: checks
            .iter()
            .map(|(name, definition, not_valid)| {
                (
                    name.to_string(),
                    DomainCheck {
                        definition: sql(definition),
                        not_valid: *not_valid,
                    },
                )
            })
            .collect(),
    }
}

fn with_domains(domains: Vec<Domain>, relations: Vec<Relation>) -> Schema {
    let mut s = schema(relations);
    for d in domains {
        s.domains.insert(d.name.clone(), d);
    }
    s
}

#[test]
fn a_domain_is_created_before_its_tables_and_dropped_after_them() {
    let mut code = Domain {
        name: n("code"),
        base: "text".into(),
        collation: Some("\"C\"".into()),
        default: Some(sql("'x'::text")),
        not_null: true,
        checks: Default::default(),
    };
    code.checks.insert(
        "code_short".into(),
        DomainCheck {
            definition: sql("CHECK (length(VALUE) < 10)"),
            not_valid: false,
        },
    );
    // A domain over another domain comes after it, whatever the names.
    let mut short = posint(&[("small", "CHECK (VALUE < 100)", true)]);
    short.name = n("a_small");
    short.base = "posint".into();
    let desired = with_domains(
        vec![code, posint(&[]), short],
        vec![table("t", &[("id", "posint"), ("c", "code")]).into()],
    );
    let mut desired = desired;
    desired
        .comments
        .insert(CommentOn::Type(n("code")), "a code".into());
    let (up, down) = up_down(&Schema::new(Engine::Postgresql), &desired);
    assert_eq!(
        up,
        [
            "CREATE DOMAIN public.code AS text COLLATE \"C\" DEFAULT 'x'::text NOT NULL\n    \
             CONSTRAINT code_short CHECK (length(VALUE) < 10)",
            "CREATE DOMAIN public.posint AS integer",
            "CREATE DOMAIN public.a_small AS posint",
            "ALTER DOMAIN public.a_small ADD CONSTRAINT small CHECK (VALUE < 100) NOT VALID",
            "CREATE TABLE public.t (\n    id posint,\n    c code,\n    CONSTRAINT t_pkey PRIMARY KEY (id)\n)",
            "COMMENT ON DOMAIN public.code IS 'a code'",
        ]
    );
    assert_eq!(down[0], "DROP TABLE public.t");
    // The domain over posint goes before posint.
    let order: Vec<&str> = down[1..].iter().map(String::as_str).collect();
    assert_eq!(
        order,
        [
            "DROP DOMAIN public.a_small",
            "DROP DOMAIN public.posint",
            "DROP DOMAIN public.code"
        ]
    );
}

#[test]
fn a_domain_is_altered_in_place_and_what_can_fail_is_marked() {
    let from = with_domains(
        vec![posint(&[
            ("positive", "CHECK (VALUE > 0)", false),
            ("odd", "CHECK (VALUE % 2 = 1)", false),
        ])],
        vec![],
    );
    let mut d = posint(&[
        ("positive", "CHECK (VALUE >= 1)", false),
        ("small", "CHECK (VALUE < 100)", false),
    ]);
    d.not_null = true;
    d.default = Some(sql("1"));
    let to = with_domains(vec![d], vec![]);
    let p = planned(&from, &to, &Renames::default(), false);
    assert_eq!(
        statements(&p.up),
        [
            "ALTER DOMAIN public.posint DROP CONSTRAINT odd",
            "ALTER DOMAIN public.posint DROP CONSTRAINT positive",
            "ALTER DOMAIN public.posint SET DEFAULT 1",
            "ALTER DOMAIN public.posint SET NOT NULL",
            "ALTER DOMAIN public.posint ADD CONSTRAINT positive CHECK (VALUE >= 1)",
            "ALTER DOMAIN public.posint ADD CONSTRAINT small CHECK (VALUE < 100)",
        ]
    );
    assert_eq!(
        hazards(&p.up)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "makes domain public.posint NOT NULL: fails if a column of it holds NULL",
            "adds CHECK (VALUE >= 1) to domain public.posint: fails if a column of it holds a value \
             that does not pass",
            "adds CHECK (VALUE < 100) to domain public.posint: fails if a column of it holds a value \
             that does not pass",
        ]
    );
    assert_eq!(
        statements(&p.down),
        [
            "ALTER DOMAIN public.posint DROP CONSTRAINT positive",
            "ALTER DOMAIN public.posint DROP CONSTRAINT small",
            "ALTER DOMAIN public.posint DROP NOT NULL",
            "ALTER DOMAIN public.posint DROP DEFAULT",
            "ALTER DOMAIN public.posint ADD CONSTRAINT odd CHECK (VALUE % 2 = 1)",
            "ALTER DOMAIN public.posint ADD CONSTRAINT positive CHECK (VALUE > 0)",
        ]
    );
    // A new base type cannot be altered: the domain is made again, with its comment.
    let mut from = with_domains(vec![posint(&[])], vec![]);
    from.comments
        .insert(CommentOn::Type(n("posint")), "positive".into());
    let mut to = from.clone();
    to.domains.get_mut(&n("posint")).unwrap().base = "bigint".into();
    let (up, _) = up_down(&from, &to);
    assert_eq!(
        up,
        [
            "DROP DOMAIN public.posint",
            "CREATE DOMAIN public.posint AS bigint",
            "COMMENT ON DOMAIN public.posint IS 'positive'",
        ]
    );
}

fn policy(table: &str, name: &str, using: Option<&str>) -> Policy {
    Policy {
        name: PolicyName {
            on: n(table),
            name: name.into(),
        },
        permissive: true,
        command: PolicyCommand::All,
        roles: vec!["public".into()],
        using: using.map(sql),
        with_check: None,
    }
}

fn with_policies(mut s: Schema, policies: Vec<Policy>) -> Schema {
    for p in policies {
        s.add_policy(p).unwrap();
    }
    s
}

#[test]
fn row_level_security_and_policies_come_after_their_table_and_go_before_it() {
    let mut t = table("t", &[("id", "integer"), ("owner", "text")]);
    t.row_security = RowSecurity {
        enabled: true,
        forced: true,
    };
    let mut restrictive = policy("t", "Mine", Some("owner = CURRENT_USER"));
    restrictive.permissive = false;
    restrictive.command = PolicyCommand::Update;
    restrictive.roles = vec!["Admin".into(), "public".into()];
    restrictive.with_check = Some(sql("id > 0"));
    let desired = with_policies(
        schema(vec![t.into()]),
        vec![restrictive, policy("t", "read", Some("true"))],
    );
    let (up, down) = up_down(&Schema::new(Engine::Postgresql), &desired);
    assert_eq!(
        up,
        [
            "CREATE TABLE public.t (\n    id integer,\n    owner text,\n    CONSTRAINT t_pkey PRIMARY KEY (id)\n)",
            "ALTER TABLE public.t ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE public.t FORCE ROW LEVEL SECURITY",
            "CREATE POLICY \"Mine\" ON public.t AS RESTRICTIVE FOR UPDATE TO \"Admin\", PUBLIC \
             USING (owner = CURRENT_USER) WITH CHECK (id > 0)",
            "CREATE POLICY read ON public.t USING (true)",
        ]
    );
    assert_eq!(
        down,
        [
            "DROP POLICY \"Mine\" ON public.t",
            "DROP POLICY read ON public.t",
            "DROP TABLE public.t",
        ]
    );

    // On a table that stays: the switches alone, a policy altered where it can be, made again otherwise.
    let plain = schema(vec![
        table("t", &[("id", "integer"), ("owner", "text")]).into()
    ]);
    let before = with_policies(
        plain.clone(),
        vec![
            policy("t", "a", Some("id > 0")),
            policy("t", "b", Some("id > 0")),
        ],
    );
    let mut a = policy("t", "a", Some("id > 1"));
    a.roles = vec!["public".into(), "reader".into()];
    let mut b = policy("t", "b", None);
    b.with_check = Some(sql("id > 0"));
    let mut enabled = plain.clone();
    enabled.table_mut(&n("t")).unwrap().row_security.enabled = true;
    let after = with_policies(enabled, vec![a, b]);
    let (up, down) = up_down(&before, &after);
    assert_eq!(
        up,
        [
            "DROP POLICY b ON public.t",
            "ALTER TABLE public.t ENABLE ROW LEVEL SECURITY",
            "ALTER POLICY a ON public.t TO PUBLIC, reader USING (id > 1)",
            "CREATE POLICY b ON public.t WITH CHECK (id > 0)",
        ]
    );
    assert_eq!(
        down,
        [
            "DROP POLICY b ON public.t",
            "ALTER TABLE public.t DISABLE ROW LEVEL SECURITY",
            "ALTER POLICY a ON public.t TO PUBLIC USING (id > 0)",
            "CREATE POLICY b ON public.t USING (id > 0)",
        ]
    );

    // A policy that reads a column that goes is dropped before it, even when it could be altered.
    let before = with_policies(plain, vec![policy("t", "a", Some("owner = 'x'"))]);
    let after = with_policies(
        schema(vec![table("t", &[("id", "integer")]).into()]),
        vec![policy("t", "a", Some("id > 0"))],
    );
    let (up, _) = up_down(&before, &after);
    assert_eq!(
        up,
        [
            "DROP POLICY a ON public.t",
            "ALTER TABLE public.t DROP COLUMN owner",
            "CREATE POLICY a ON public.t USING (id > 0)",
        ]
    );
}

#[test]
fn a_new_column_of_a_constrained_domain_rewrites_its_table_and_a_not_null_one_needs_a_default() {
    let t = n("t");
    let with_column = |domain: Domain, of: &str| {
        let before = with_domains(
            vec![domain.clone()],
            vec![table("t", &[("id", "integer")]).into()],
        );
        let after = with_domains(
            vec![domain],
            vec![table("t", &[("id", "integer"), ("k", of)]).into()],
        );
        hazards(&planned(&before, &after, &Renames::default(), false).up)
    };
    let rewrites = Hazard::RewritesTable { table: t.clone() };
    let no_default = Hazard::NotNullWithoutDefault {
        table: t.clone(),
        column: "k".into(),
    };
    // A plain domain is its base type: nothing to check row by row.
    assert_eq!(with_column(posint(&[]), "posint"), []);
    // A CHECK: every row's value is checked, so the table is written again.
    let checked = posint(&[("positive", "CHECK (VALUE > 0)", false)]);
    assert_eq!(
        with_column(checked, "posint"),
        std::slice::from_ref(&rewrites)
    );
    // NOT NULL with no default anywhere fails on a table with rows; the domain's default fills it.
    let mut not_null = posint(&[]);
    not_null.not_null = true;
    assert_eq!(
        with_column(not_null.clone(), "posint"),
        [no_default, rewrites.clone()]
    );
    not_null.default = Some(sql("0"));
    assert_eq!(with_column(not_null, "posint"), [rewrites]);
}

#[test]
fn a_policy_that_casts_to_a_replaced_enum_goes_before_the_swap_and_comes_back_after() {
    let with_mood = |labels: &[&str]| {
        let mut s = with_policies(
            schema(vec![
                table("t", &[("id", "integer"), ("label", "text")]).into()
            ]),
            vec![policy("t", "happy", Some("label::mood = 'a'::mood"))],
        );
        s.enums.insert(n("mood"), mood(labels));
        s
    };
    let (up, _) = up_down(&with_mood(&["a", "b"]), &with_mood(&["b", "a"]));
    let at = |prefix: &str| up.iter().position(|s| s.starts_with(prefix)).unwrap();
    assert!(at("DROP POLICY happy") < at("CREATE TYPE"), "{up:#?}");
    assert!(at("CREATE POLICY happy") > at("DROP TYPE"), "{up:#?}");
}
