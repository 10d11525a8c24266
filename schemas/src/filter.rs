//! A route's SQL `where` clause: parsed with sqlparser-rs, type-checked against one catalogue
//! table, evaluated on that table's Arrow batches with arrow's compute kernels.
//!
//! [`RowFilter::compile`] turns the SQL into a small typed tree ([`Pred`]) whose literals are
//! already coerced to their column's type, so a route's mistakes surface when the config loads,
//! not on the first batch. Evaluating a batch is then only kernel calls: comparisons
//! (`arrow_ord::cmp`), `LIKE` (`arrow_string::like`), null tests and three-valued
//! `AND`/`OR`/`NOT` (`arrow_arith::boolean`). The one row-by-row step is a JSON path
//! (`Status->>'$.errorCode'`), which extracts a string column that the same kernels compare.
//!
//! Supported: `=`, `<>`/`!=`, `<`, `<=`, `>`, `>=` between a column and a literal (either side)
//! or two columns of one type; `[NOT] IN (literals)`; `[NOT] BETWEEN`; `[NOT] LIKE`/`ILIKE` on
//! text; `IS [NOT] NULL`; `IS [NOT] TRUE|FALSE`; `AND`/`OR`/`NOT`; parentheses; `TRUE`,
//! `FALSE`, `NULL` and a bare bool column as predicates; `col->>'$.a.b'`, `col->>'key'`,
//! `col->>'/a/b'` and `col->>0` into JSON text.

use std::fmt;
use std::sync::Arc;

use arrow_arith::boolean::{and_kleene, is_not_null, is_null, not, or_kleene};
use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Datum, Float64Array, Int32Array, Int64Array, RecordBatch,
    Scalar, StringArray, TimestampMicrosecondArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray,
};
use arrow_buffer::BooleanBuffer;
use arrow_schema::{ArrowError, DataType, TimeUnit};
use sqlparser::ast::{BinaryOperator, Expr, Ident, InTarget, UnaryOperator, Value};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use crate::catalogue::Table;
use crate::schema::{arrow_schema_for, trailing_columns, SchemaOptions};
use crate::time::parse_timestamp;

/// Why a `where` clause was refused; the message names the fragment, column and table at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    #[error("syntax: {0}")]
    Syntax(String),
    #[error("column `{column}` is not in table {table}{hint}")]
    UnknownColumn {
        column: String,
        table: String,
        /// A nearby spelling or a quoting mistake, with its leading space; may be empty.
        hint: String,
    },
    /// A literal that cannot take the type of what it is compared with.
    #[error("`{column}` is {ty} in {table}; {value} is not {}", with_article(.ty))]
    Coerce {
        column: String,
        table: String,
        /// The Log Analytics type name (`int`, `datetime`, …).
        ty: &'static str,
        /// The literal as written (`'abc'`, `5.5`, `TRUE`).
        value: String,
    },
    /// Operands whose types do not fit the operator (two columns of different types, `LIKE`
    /// on a number, a non-bool column used as a condition).
    #[error("{0}")]
    Type(String),
    #[error("unsupported SQL: {fragment} ({why})")]
    Unsupported { fragment: String, why: &'static str },
}

fn with_article(ty: &str) -> String {
    let article = if ty.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {ty}")
}

/// A compiled `where` clause for one table.
#[derive(Debug, Clone)]
pub struct RowFilter {
    sql: String,
    table: &'static str,
    pred: Pred,
}

impl RowFilter {
    /// Parse and type-check `sql` against `table` (SchemaOptions::default() types; evaluation
    /// also works on nanosecond timestamp batches, the unit is read from each batch).
    pub fn compile(sql: &str, table: &Table) -> Result<RowFilter, FilterError> {
        let expr = parse(sql)?;
        let pred = Compiler::new(table).pred(&expr)?;
        Ok(RowFilter {
            sql: sql.to_string(),
            table: table.name,
            pred,
        })
    }

    /// Rows to keep: true where the expression is TRUE; NULL counts as false (SQL WHERE).
    /// The result has no nulls.
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<BooleanArray, ArrowError> {
        Ok(nulls_to_false(&self.pred.eval(batch)?))
    }

    /// The kept rows, or the batch itself (a cheap clone) when all are kept.
    pub fn apply(&self, batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
        let mask = self.evaluate(batch)?;
        if mask.true_count() == batch.num_rows() {
            Ok(batch.clone())
        } else {
            arrow_select::filter::filter_record_batch(batch, &mask)
        }
    }

    /// The clause as written in the config.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The table it was compiled against.
    pub fn table(&self) -> &str {
        self.table
    }
}

/// One expression, and nothing after it.
fn parse(sql: &str) -> Result<Expr, FilterError> {
    use sqlparser::parser::ParserError;
    // sqlparser's own Display prefixes "sql parser error: "; ours says "syntax: ".
    let syntax = |e: ParserError| {
        FilterError::Syntax(match e {
            ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
            ParserError::RecursionLimitExceeded => "nested too deeply".to_string(),
        })
    };
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(sql).map_err(syntax)?;
    let expr = parser.parse_expr().map_err(syntax)?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(FilterError::Syntax(format!(
            "expected the end of the condition, found `{}`{}",
            next.token, next.span.start
        )));
    }
    Ok(expr)
}

// ---------------------------------------------------------------------------------------------
// The typed tree.

/// A condition; evaluates to a `BooleanArray` with SQL's NULLs.
#[derive(Debug, Clone)]
enum Pred {
    /// `TRUE`, `FALSE`, `NULL` (and conditions folded to them, like `NULL IS NULL`).
    Const(Option<bool>),
    /// A bool column used as the condition itself.
    Column(String),
    /// A literal is always on the right: the compiler flips `'0' <> ResultType`.
    Compare {
        left: Operand,
        op: CmpOp,
        right: Rhs,
    },
    In {
        operand: Operand,
        list: Vec<Literal>,
        negated: bool,
    },
    Like {
        operand: Operand,
        pattern: String,
        case_insensitive: bool,
        negated: bool,
    },
    IsNull {
        operand: Operand,
        negated: bool,
    },
    /// `IS [NOT] TRUE|FALSE`: never NULL.
    Is {
        pred: Box<Pred>,
        truth: bool,
        negated: bool,
    },
    Not(Box<Pred>),
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
}

/// Something that yields one value per row.
#[derive(Debug, Clone)]
enum Operand {
    /// Looked up by name in each batch, so a batch only needs the columns the filter reads.
    Column(String),
    /// The text at `path` inside the JSON text of `column`.
    Json { column: String, path: JsonPath },
}

#[derive(Debug, Clone)]
enum Rhs {
    Operand(Operand),
    Literal(Literal),
}

/// A literal coerced to its operand's type. Datetimes stay in nanoseconds until a batch says
/// its unit.
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Null,
    Str(String),
    Int(i32),
    Long(i64),
    Real(f64),
    Bool(bool),
    Time(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

/// A path into a JSON document, in DuckDB's `->>` forms.
#[derive(Debug, Clone, PartialEq)]
enum JsonPath {
    /// `'$.a.b[0]'`, `'key'`, `0`.
    Steps(Vec<Step>),
    /// `'/a/b/0'` (RFC 6901).
    Pointer(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The value kinds a filter can compare: one per Arrow type the catalogue produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Int,
    Long,
    Real,
    Bool,
    Time,
}

impl Kind {
    fn of(data_type: &DataType) -> Option<Kind> {
        Some(match data_type {
            DataType::Utf8 => Kind::Str,
            DataType::Int32 => Kind::Int,
            DataType::Int64 => Kind::Long,
            DataType::Float64 => Kind::Real,
            DataType::Boolean => Kind::Bool,
            DataType::Timestamp(_, _) => Kind::Time,
            _ => return None,
        })
    }
}

impl CmpOp {
    fn from_sql(op: &BinaryOperator) -> Option<CmpOp> {
        Some(match op {
            BinaryOperator::Eq => CmpOp::Eq,
            BinaryOperator::NotEq => CmpOp::NotEq,
            BinaryOperator::Lt => CmpOp::Lt,
            BinaryOperator::LtEq => CmpOp::LtEq,
            BinaryOperator::Gt => CmpOp::Gt,
            BinaryOperator::GtEq => CmpOp::GtEq,
            _ => return None,
        })
    }

    /// The operator with its operands swapped: `a < b` is `b > a`.
    fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
            same => same,
        }
    }

    fn kernel(self, left: &dyn Datum, right: &dyn Datum) -> Result<BooleanArray, ArrowError> {
        use arrow_ord::cmp;
        match self {
            CmpOp::Eq => cmp::eq(left, right),
            CmpOp::NotEq => cmp::neq(left, right),
            CmpOp::Lt => cmp::lt(left, right),
            CmpOp::LtEq => cmp::lt_eq(left, right),
            CmpOp::Gt => cmp::gt(left, right),
            CmpOp::GtEq => cmp::gt_eq(left, right),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Compile: sqlparser's `Expr` → `Pred`, with every column resolved and every literal coerced.

/// A literal as written, before it meets the operand that gives it a type.
#[derive(Debug, Clone)]
enum RawLit {
    Null,
    Str(String),
    /// The number's text as written, so a text column compares against exactly that.
    Num(String),
    Bool(bool),
}

impl fmt::Display for RawLit {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            RawLit::Null => f.write_str("NULL"),
            RawLit::Str(s) => write!(f, "'{}'", s.replace('\'', "''")),
            RawLit::Num(n) => f.write_str(n),
            RawLit::Bool(b) => f.write_str(if *b { "TRUE" } else { "FALSE" }),
        }
    }
}

/// An operand with what the type checks and error messages need.
struct Typed {
    operand: Operand,
    kind: Kind,
    /// How the SQL wrote it: `ResultType`, `Status ->> '$.errorCode'`.
    label: String,
    /// The Log Analytics type name.
    ty: &'static str,
}

enum Term {
    Typed(Typed),
    Lit(RawLit),
}

struct Compiler<'t> {
    table: &'t Table,
    /// Every column of the table's batches: name, Log Analytics type name, kind.
    columns: Vec<(&'static str, &'static str, Option<Kind>)>,
}

impl<'t> Compiler<'t> {
    fn new(table: &'t Table) -> Self {
        let schema = arrow_schema_for(table, SchemaOptions::default());
        let declared = table
            .columns
            .iter()
            .map(|c| (c.name, c.la_type))
            .chain(trailing_columns(table));
        let columns = declared
            .zip(schema.fields())
            .map(|((name, la), field)| (name, la.la_name(), Kind::of(field.data_type())))
            .collect();
        Compiler { table, columns }
    }

    fn pred(&self, expr: &Expr) -> Result<Pred, FilterError> {
        Ok(match expr {
            Expr::Nested(inner) => self.pred(inner)?,
            Expr::BinaryOp { left, op, right } => match op {
                BinaryOperator::And => Pred::And(self.boxed(left)?, self.boxed(right)?),
                BinaryOperator::Or => Pred::Or(self.boxed(left)?, self.boxed(right)?),
                op => match CmpOp::from_sql(op) {
                    Some(op) => self.compare(expr, left, op, right)?,
                    None => return Err(unsupported(expr)),
                },
            },
            Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr: inner,
            } => Pred::Not(self.boxed(inner)?),
            Expr::IsNull(inner) => self.is_null(inner, false)?,
            Expr::IsNotNull(inner) => self.is_null(inner, true)?,
            Expr::IsTrue(inner) => self.is(inner, true, false)?,
            Expr::IsNotTrue(inner) => self.is(inner, true, true)?,
            Expr::IsFalse(inner) => self.is(inner, false, false)?,
            Expr::IsNotFalse(inner) => self.is(inner, false, true)?,
            Expr::In {
                expr: inner,
                target: InTarget::List(list),
                negated,
                global: false,
            } => self.in_list(inner, list, *negated)?,
            Expr::Between {
                expr: inner,
                negated,
                low,
                high,
            } => {
                let low = self.compare(expr, inner, CmpOp::GtEq, low)?;
                let high = self.compare(expr, inner, CmpOp::LtEq, high)?;
                let both = Pred::And(Box::new(low), Box::new(high));
                if *negated {
                    Pred::Not(Box::new(both))
                } else {
                    both
                }
            }
            Expr::Like {
                negated,
                any: false,
                expr: inner,
                pattern,
                escape_char,
            } => self.like(
                expr,
                inner,
                pattern,
                escape_char.as_deref(),
                false,
                *negated,
            )?,
            Expr::ILike {
                negated,
                any: false,
                expr: inner,
                pattern,
                escape_char,
            } => self.like(expr, inner, pattern, escape_char.as_deref(), true, *negated)?,
            Expr::Value(_) | Expr::Identifier(_) => match self.term(expr)? {
                Term::Lit(RawLit::Bool(b)) => Pred::Const(Some(b)),
                Term::Lit(RawLit::Null) => Pred::Const(None),
                Term::Typed(Typed {
                    operand: Operand::Column(name),
                    kind: Kind::Bool,
                    ..
                }) => Pred::Column(name),
                Term::Typed(t) => {
                    return Err(FilterError::Type(format!(
                        "`{}` is {} in {}; only a bool column is a condition by itself",
                        t.label, t.ty, self.table.name
                    )))
                }
                Term::Lit(lit) => {
                    return Err(FilterError::Type(format!(
                        "{lit} is not a condition; compare it with a column"
                    )))
                }
            },
            _ => return Err(unsupported(expr)),
        })
    }

    fn boxed(&self, expr: &Expr) -> Result<Box<Pred>, FilterError> {
        Ok(Box::new(self.pred(expr)?))
    }

    /// `whole` is the expression the comparison came from, for messages (`BETWEEN` makes two).
    fn compare(
        &self,
        whole: &Expr,
        left: &Expr,
        op: CmpOp,
        right: &Expr,
    ) -> Result<Pred, FilterError> {
        let (left, op, right) = match (self.term(left)?, self.term(right)?) {
            (Term::Typed(l), Term::Typed(r)) => {
                if l.kind != r.kind {
                    return Err(FilterError::Type(format!(
                        "cannot compare `{}` ({}) with `{}` ({}) in {}",
                        l.label, l.ty, r.label, r.ty, self.table.name
                    )));
                }
                (l.operand, op, Rhs::Operand(r.operand))
            }
            (Term::Typed(l), Term::Lit(r)) => {
                let lit = self.coerce(&r, &l)?;
                (l.operand, op, Rhs::Literal(lit))
            }
            (Term::Lit(l), Term::Typed(r)) => {
                let lit = self.coerce(&l, &r)?;
                (r.operand, op.flip(), Rhs::Literal(lit))
            }
            (Term::Lit(_), Term::Lit(_)) => {
                return Err(FilterError::Unsupported {
                    fragment: whole.to_string(),
                    why: "compare a column with a value; two literals are not supported",
                })
            }
        };
        Ok(Pred::Compare { left, op, right })
    }

    fn in_list(&self, expr: &Expr, list: &[Expr], negated: bool) -> Result<Pred, FilterError> {
        let operand = self.typed(expr)?;
        let list = list
            .iter()
            .map(|item| match self.term(item)? {
                Term::Lit(lit) => self.coerce(&lit, &operand),
                Term::Typed(_) => Err(FilterError::Unsupported {
                    fragment: item.to_string(),
                    why: "IN takes a list of literal values",
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Pred::In {
            operand: operand.operand,
            list,
            negated,
        })
    }

    fn like(
        &self,
        whole: &Expr,
        expr: &Expr,
        pattern: &Expr,
        escape: Option<&Expr>,
        case_insensitive: bool,
        negated: bool,
    ) -> Result<Pred, FilterError> {
        let operand = self.typed(expr)?;
        if operand.kind != Kind::Str {
            return Err(FilterError::Type(format!(
                "`{}` is {} in {}; LIKE needs text",
                operand.label, operand.ty, self.table.name
            )));
        }
        // Arrow's LIKE kernels escape with a backslash and take no other escape character.
        if let Some(escape) = escape {
            if !matches!(self.term(escape)?, Term::Lit(RawLit::Str(e)) if e == "\\") {
                return Err(FilterError::Unsupported {
                    fragment: whole.to_string(),
                    why: "the only ESCAPE is '\\', which is the default",
                });
            }
        }
        let pattern = match self.term(pattern)? {
            Term::Lit(lit) => self.coerce(&lit, &operand)?,
            Term::Typed(_) => {
                return Err(FilterError::Unsupported {
                    fragment: pattern.to_string(),
                    why: "a LIKE pattern must be a literal",
                })
            }
        };
        Ok(match pattern {
            Literal::Str(pattern) => Pred::Like {
                operand: operand.operand,
                pattern,
                case_insensitive,
                negated,
            },
            _ => Pred::Const(None),
        })
    }

    fn is_null(&self, expr: &Expr, negated: bool) -> Result<Pred, FilterError> {
        Ok(match self.term(expr)? {
            Term::Typed(t) => Pred::IsNull {
                operand: t.operand,
                negated,
            },
            Term::Lit(lit) => Pred::Const(Some(matches!(lit, RawLit::Null) != negated)),
        })
    }

    fn is(&self, expr: &Expr, truth: bool, negated: bool) -> Result<Pred, FilterError> {
        Ok(Pred::Is {
            pred: self.boxed(expr)?,
            truth,
            negated,
        })
    }

    /// An operand that must be a column or a JSON path, not a literal.
    fn typed(&self, expr: &Expr) -> Result<Typed, FilterError> {
        match self.term(expr)? {
            Term::Typed(t) => Ok(t),
            Term::Lit(_) => Err(FilterError::Unsupported {
                fragment: expr.to_string(),
                why: "expected a column here",
            }),
        }
    }

    fn term(&self, expr: &Expr) -> Result<Term, FilterError> {
        Ok(match expr {
            Expr::Nested(inner) => self.term(inner)?,
            Expr::Identifier(ident) => Term::Typed(self.column(ident)?),
            Expr::Value(v) => Term::Lit(match &v.value {
                Value::Null => RawLit::Null,
                Value::Boolean(b) => RawLit::Bool(*b),
                Value::Number(n, _) => RawLit::Num(n.to_string()),
                other => match other.clone().into_string() {
                    Some(s) => RawLit::Str(s),
                    None => return Err(unsupported(expr)),
                },
            }),
            Expr::UnaryOp {
                op: op @ (UnaryOperator::Minus | UnaryOperator::Plus),
                expr: inner,
            } => match self.term(inner)? {
                Term::Lit(RawLit::Num(n)) if *op == UnaryOperator::Minus => {
                    Term::Lit(RawLit::Num(format!("-{n}")))
                }
                Term::Lit(RawLit::Num(n)) => Term::Lit(RawLit::Num(n)),
                _ => return Err(unsupported(expr)),
            },
            Expr::BinaryOp {
                left,
                op: BinaryOperator::LongArrow,
                right,
            } => Term::Typed(self.json(expr, left, right)?),
            _ => return Err(unsupported(expr)),
        })
    }

    fn column(&self, ident: &Ident) -> Result<Typed, FilterError> {
        let name = ident.value.as_str();
        let Some(&(name, ty, kind)) = self.columns.iter().find(|c| c.0 == name) else {
            let hint = match self.columns.iter().find(|c| c.0.eq_ignore_ascii_case(name)) {
                Some(c) => format!(" (did you mean `{}`? names are case-sensitive)", c.0),
                None if ident.quote_style == Some('"') => {
                    " (double quotes name a column; write text in single quotes)".to_string()
                }
                None => String::new(),
            };
            return Err(FilterError::UnknownColumn {
                column: name.to_string(),
                table: self.table.name.to_string(),
                hint,
            });
        };
        let Some(kind) = kind else {
            return Err(FilterError::Type(format!(
                "`{name}` is {ty} in {}, a type filters cannot read",
                self.table.name
            )));
        };
        Ok(Typed {
            operand: Operand::Column(name.to_string()),
            kind,
            label: name.to_string(),
            ty,
        })
    }

    /// `column ->> path`: the left side must be a text column holding JSON.
    fn json(&self, whole: &Expr, left: &Expr, right: &Expr) -> Result<Typed, FilterError> {
        let unsupported = |why| FilterError::Unsupported {
            fragment: whole.to_string(),
            why,
        };
        let column = match self.term(left)? {
            Term::Typed(Typed {
                operand: Operand::Column(column),
                kind: Kind::Str,
                ..
            }) => column,
            Term::Typed(Typed {
                operand: Operand::Json { .. },
                ..
            }) => return Err(unsupported("write one path, as in col->>'$.a.b'")),
            _ => return Err(unsupported("->> applies to a text column holding JSON")),
        };
        let path = match self.term(right)? {
            Term::Lit(RawLit::Str(path)) => parse_json_path(&path).map_err(unsupported)?,
            Term::Lit(RawLit::Num(n)) => match n.parse::<usize>() {
                Ok(i) => JsonPath::Steps(vec![Step::Index(i)]),
                Err(_) => return Err(unsupported("an array index is a non-negative integer")),
            },
            _ => return Err(unsupported("the path after ->> must be a literal")),
        };
        Ok(Typed {
            operand: Operand::Json { column, path },
            kind: Kind::Str,
            label: whole.to_string(),
            ty: "string",
        })
    }

    /// Give a literal the type of the operand it meets: numbers in text parse as numbers,
    /// numbers meeting text become their text, text meeting a datetime parses as one.
    fn coerce(&self, lit: &RawLit, to: &Typed) -> Result<Literal, FilterError> {
        let fail = || FilterError::Coerce {
            column: to.label.clone(),
            table: self.table.name.to_string(),
            ty: to.ty,
            value: lit.to_string(),
        };
        let text = match lit {
            RawLit::Null => return Ok(Literal::Null),
            RawLit::Str(s) | RawLit::Num(s) => Some(s.trim()),
            RawLit::Bool(_) => None,
        };
        let parsed = match (to.kind, lit, text) {
            (Kind::Str, RawLit::Str(s) | RawLit::Num(s), _) => Some(Literal::Str(s.clone())),
            (Kind::Bool, RawLit::Bool(b), _) => Some(Literal::Bool(*b)),
            (Kind::Int, _, Some(t)) => t.parse().ok().map(Literal::Int),
            (Kind::Long, _, Some(t)) => t.parse().ok().map(Literal::Long),
            (Kind::Real, _, Some(t)) => t
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Literal::Real),
            (Kind::Time, RawLit::Str(s), _) => parse_timestamp(s).map(Literal::Time),
            _ => None,
        };
        parsed.ok_or_else(fail)
    }
}

/// Refuse an expression, saying what kind of thing it is.
fn unsupported(expr: &Expr) -> FilterError {
    use BinaryOperator as B;
    let why = match expr {
        Expr::Function(_) => "functions are not supported",
        Expr::Subquery(_)
        | Expr::Exists { .. }
        | Expr::In {
            target: InTarget::Subquery(_),
            ..
        } => "subqueries are not supported",
        Expr::BinaryOp {
            op: B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo,
            ..
        } => "arithmetic is not supported",
        Expr::BinaryOp {
            op: B::Arrow | B::HashArrow | B::HashLongArrow,
            ..
        } => "the JSON operator is ->>, as in col->>'$.a.b'",
        Expr::Cast { .. } => "casts are not supported",
        Expr::CompoundIdentifier(_) => "name the column alone, without a qualifier",
        _ => "not a column, literal or supported condition",
    };
    FilterError::Unsupported {
        fragment: expr.to_string(),
        why,
    }
}

/// DuckDB's path forms: `$.a."b c"[0]`, `/a/b/0`, or one key.
fn parse_json_path(text: &str) -> Result<JsonPath, &'static str> {
    const BAD: &str = "a JSON path is '$.key[0]...', '/json/pointer' or one key";
    if text.starts_with('/') {
        return Ok(JsonPath::Pointer(text.to_string()));
    }
    let Some(mut rest) = text.strip_prefix('$') else {
        return Ok(JsonPath::Steps(vec![Step::Key(text.to_string())]));
    };
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix(".\"") {
            let end = r.find('"').ok_or(BAD)?;
            steps.push(Step::Key(r[..end].to_string()));
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return Err(BAD);
            }
            steps.push(Step::Key(r[..end].to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or(BAD)?;
            let inner = r[..end].trim();
            let quoted = inner.len() >= 2
                && (inner.starts_with('"') && inner.ends_with('"')
                    || inner.starts_with('\'') && inner.ends_with('\''));
            steps.push(if quoted {
                Step::Key(inner[1..inner.len() - 1].to_string())
            } else {
                Step::Index(inner.parse().map_err(|_| BAD)?)
            });
            rest = &r[end + 1..];
        } else {
            return Err(BAD);
        }
    }
    Ok(JsonPath::Steps(steps))
}

// ---------------------------------------------------------------------------------------------
// Evaluate: one function per node kind, each a handful of kernel calls.

impl Pred {
    fn eval(&self, batch: &RecordBatch) -> Result<BooleanArray, ArrowError> {
        match self {
            Pred::Const(v) => Ok(constant(*v, batch.num_rows())),
            Pred::Column(name) => eval_bool_column(batch, name),
            Pred::Compare { left, op, right } => eval_compare(batch, left, *op, right),
            Pred::In {
                operand,
                list,
                negated,
            } => eval_in(batch, operand, list, *negated),
            Pred::Like {
                operand,
                pattern,
                case_insensitive,
                negated,
            } => eval_like(batch, operand, pattern, *case_insensitive, *negated),
            Pred::IsNull { operand, negated } => {
                let values = operand.eval(batch)?;
                if *negated {
                    is_not_null(&values)
                } else {
                    is_null(&values)
                }
            }
            Pred::Is {
                pred,
                truth,
                negated,
            } => eval_is(batch, pred, *truth, *negated),
            Pred::Not(p) => not(&p.eval(batch)?),
            Pred::And(a, b) => and_kleene(&a.eval(batch)?, &b.eval(batch)?),
            Pred::Or(a, b) => or_kleene(&a.eval(batch)?, &b.eval(batch)?),
        }
    }
}

impl Operand {
    fn eval(&self, batch: &RecordBatch) -> Result<ArrayRef, ArrowError> {
        match self {
            Operand::Column(name) => Ok(column(batch, name)?.clone()),
            Operand::Json { column: name, path } => {
                let json = column(batch, name)?;
                let text = json.as_string_opt::<i32>().ok_or_else(|| {
                    ArrowError::InvalidArgumentError(format!(
                        "filter: `{name}` is {}, not text holding JSON",
                        json.data_type()
                    ))
                })?;
                Ok(Arc::new(extract_json(text, path)))
            }
        }
    }
}

fn column<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b ArrayRef, ArrowError> {
    batch.column_by_name(name).ok_or_else(|| {
        ArrowError::SchemaError(format!("filter: column `{name}` is not in the batch"))
    })
}

fn eval_bool_column(batch: &RecordBatch, name: &str) -> Result<BooleanArray, ArrowError> {
    let values = column(batch, name)?;
    values.as_boolean_opt().cloned().ok_or_else(|| {
        ArrowError::InvalidArgumentError(format!(
            "filter: `{name}` is {}, not bool",
            values.data_type()
        ))
    })
}

fn eval_compare(
    batch: &RecordBatch,
    left: &Operand,
    op: CmpOp,
    right: &Rhs,
) -> Result<BooleanArray, ArrowError> {
    let left = left.eval(batch)?;
    match right {
        Rhs::Operand(right) => op.kernel(&left, &right.eval(batch)?),
        Rhs::Literal(lit) => compare_literal(&left, op, lit),
    }
}

fn compare_literal(
    values: &ArrayRef,
    op: CmpOp,
    lit: &Literal,
) -> Result<BooleanArray, ArrowError> {
    let scalar: ArrayRef = match lit {
        Literal::Null => return Ok(BooleanArray::new_null(values.len())),
        Literal::Time(nanos) => return compare_time(values, op, *nanos),
        Literal::Str(s) => Arc::new(StringArray::from(vec![s.as_str()])),
        Literal::Int(v) => Arc::new(Int32Array::from(vec![*v])),
        Literal::Long(v) => Arc::new(Int64Array::from(vec![*v])),
        Literal::Real(v) => Arc::new(Float64Array::from(vec![*v])),
        Literal::Bool(v) => Arc::new(BooleanArray::from(vec![*v])),
    };
    op.kernel(values, &Scalar::new(scalar))
}

/// Compare a timestamp column with a literal given in nanoseconds, in the column's own unit
/// and zone. A literal finer than the unit rounds the way that keeps the comparison exact:
/// `c > 1.5` is `c > 1`, `c >= 1.5` is `c >= 2`, and `c = 1.5` holds for no row.
fn compare_time(values: &ArrayRef, op: CmpOp, nanos: i64) -> Result<BooleanArray, ArrowError> {
    let DataType::Timestamp(unit, tz) = values.data_type() else {
        return Err(ArrowError::InvalidArgumentError(format!(
            "filter: expected a timestamp column, found {}",
            values.data_type()
        )));
    };
    let per_unit = match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    };
    let floor = nanos.div_euclid(per_unit);
    let exact = nanos.rem_euclid(per_unit) == 0;
    let at = |v: i64| -> Scalar<ArrayRef> {
        let tz = tz.clone();
        Scalar::new(match unit {
            TimeUnit::Second => Arc::new(TimestampSecondArray::from(vec![v]).with_timezone_opt(tz)),
            TimeUnit::Millisecond => {
                Arc::new(TimestampMillisecondArray::from(vec![v]).with_timezone_opt(tz))
            }
            TimeUnit::Microsecond => {
                Arc::new(TimestampMicrosecondArray::from(vec![v]).with_timezone_opt(tz))
            }
            TimeUnit::Nanosecond => {
                Arc::new(TimestampNanosecondArray::from(vec![v]).with_timezone_opt(tz))
            }
        })
    };
    match (exact, op) {
        (true, _) | (false, CmpOp::Gt | CmpOp::LtEq) => op.kernel(values, &at(floor)),
        (false, CmpOp::GtEq | CmpOp::Lt) => op.kernel(values, &at(floor + 1)),
        (false, CmpOp::Eq) => Ok(constant_over(false, values)),
        (false, CmpOp::NotEq) => Ok(constant_over(true, values)),
    }
}

/// `x IN (a, b)` is `x = a OR x = b`, with SQL's NULLs: a miss against a NULL item is NULL.
fn eval_in(
    batch: &RecordBatch,
    operand: &Operand,
    list: &[Literal],
    negated: bool,
) -> Result<BooleanArray, ArrowError> {
    let values = operand.eval(batch)?;
    let mut any = constant(Some(false), values.len());
    for lit in list {
        any = or_kleene(&any, &compare_literal(&values, CmpOp::Eq, lit)?)?;
    }
    if negated {
        not(&any)
    } else {
        Ok(any)
    }
}

fn eval_like(
    batch: &RecordBatch,
    operand: &Operand,
    pattern: &str,
    case_insensitive: bool,
    negated: bool,
) -> Result<BooleanArray, ArrowError> {
    use arrow_string::like;
    let values = operand.eval(batch)?;
    let pattern = Scalar::new(StringArray::from(vec![pattern]));
    match (case_insensitive, negated) {
        (false, false) => like::like(&values, &pattern),
        (false, true) => like::nlike(&values, &pattern),
        (true, false) => like::ilike(&values, &pattern),
        (true, true) => like::nilike(&values, &pattern),
    }
}

/// `p IS TRUE` keeps the rows where `p` is TRUE, `p IS FALSE` those where it is FALSE; the
/// negations keep the rest, NULLs included.
fn eval_is(
    batch: &RecordBatch,
    pred: &Pred,
    truth: bool,
    negated: bool,
) -> Result<BooleanArray, ArrowError> {
    let values = pred.eval(batch)?;
    let values = if truth { values } else { not(&values)? };
    let hit = nulls_to_false(&values);
    if negated {
        not(&hit)
    } else {
        Ok(hit)
    }
}

/// The text at `path` in each row's JSON: strings as themselves, other values as JSON text;
/// NULL when the row is NULL, not JSON, or has nothing (or `null`) there.
fn extract_json(json: &StringArray, path: &JsonPath) -> StringArray {
    let mut out = StringBuilder::with_capacity(json.len(), 0);
    for row in json.iter() {
        let doc = row.and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
        match doc.as_ref().and_then(|doc| json_lookup(doc, path)) {
            None | Some(serde_json::Value::Null) => out.append_null(),
            Some(serde_json::Value::String(s)) => out.append_value(s),
            Some(other) => out.append_value(other.to_string()),
        }
    }
    out.finish()
}

fn json_lookup<'v>(doc: &'v serde_json::Value, path: &JsonPath) -> Option<&'v serde_json::Value> {
    match path {
        JsonPath::Pointer(pointer) => doc.pointer(pointer),
        JsonPath::Steps(steps) => steps.iter().try_fold(doc, |v, step| match step {
            Step::Key(k) => v.get(k.as_str()),
            Step::Index(i) => v.get(*i),
        }),
    }
}

fn constant(value: Option<bool>, len: usize) -> BooleanArray {
    match value {
        Some(v) => constant_over_len(v, len),
        None => BooleanArray::new_null(len),
    }
}

fn constant_over_len(value: bool, len: usize) -> BooleanArray {
    let bits = if value {
        BooleanBuffer::new_set(len)
    } else {
        BooleanBuffer::new_unset(len)
    };
    BooleanArray::new(bits, None)
}

/// `value` where `values` is not NULL, NULL where it is.
fn constant_over(value: bool, values: &ArrayRef) -> BooleanArray {
    let bits = constant_over_len(value, values.len()).values().clone();
    BooleanArray::new(bits, values.logical_nulls())
}

/// SQL `WHERE`: a NULL condition does not keep its row.
fn nulls_to_false(mask: &BooleanArray) -> BooleanArray {
    match mask.nulls() {
        None => mask.clone(),
        Some(nulls) => BooleanArray::new(mask.values() & nulls.inner(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{Catalogue, LaType};
    use arrow_array::new_null_array;
    use arrow_schema::SchemaRef;

    const SIGNIN: &str = "SigninLogs";

    fn table(name: &str) -> &'static Table {
        Catalogue::get().by_name(name).expect("table in catalogue")
    }

    /// A batch of `schema` with every column NULL except `set`.
    fn batch_of(schema: SchemaRef, set: Vec<(&str, ArrayRef)>) -> RecordBatch {
        let rows = set.first().map_or(0, |(_, a)| a.len());
        let columns = schema
            .fields()
            .iter()
            .map(
                |field| match set.iter().find(|(name, _)| name == field.name()) {
                    Some((_, array)) => array.clone(),
                    None => new_null_array(field.data_type(), rows),
                },
            )
            .collect();
        RecordBatch::try_new(schema, columns).unwrap()
    }

    fn times(nanos: bool, values: &[Option<&str>]) -> ArrayRef {
        let v: Vec<Option<i64>> = values
            .iter()
            .map(|t| t.map(|t| parse_timestamp(t).unwrap()))
            .collect();
        if nanos {
            Arc::new(TimestampNanosecondArray::from(v).with_timezone("UTC"))
        } else {
            let v: Vec<_> = v.into_iter().map(|t| t.map(|t| t / 1_000)).collect();
            Arc::new(TimestampMicrosecondArray::from(v).with_timezone("UTC"))
        }
    }

    /// Five SigninLogs rows; row 2 is NULL nearly everywhere.
    fn signins(nanos: bool) -> RecordBatch {
        let opts = SchemaOptions {
            nanosecond_timestamps: nanos,
        };
        let s = |v: Vec<Option<&str>>| -> ArrayRef { Arc::new(StringArray::from(v)) };
        batch_of(
            arrow_schema_for(table(SIGNIN), opts),
            vec![
                (
                    "ResultType",
                    s(vec![Some("0"), Some("50126"), None, Some("0"), Some("700")]),
                ),
                (
                    "RiskLevelDuringSignIn",
                    s(vec![
                        Some("none"),
                        Some("medium"),
                        None,
                        Some("high"),
                        Some("low"),
                    ]),
                ),
                (
                    "UserPrincipalName",
                    s(vec![
                        Some("alice@contoso.com"),
                        Some("Bob@Contoso.com"),
                        None,
                        Some("carol@fabrikam.com"),
                        Some("dave@contoso.com"),
                    ]),
                ),
                (
                    "AppDisplayName",
                    s(vec![Some("a"), Some("b"), None, Some("d"), Some("e")]),
                ),
                (
                    "ResourceDisplayName",
                    s(vec![Some("a"), Some("x"), Some("c"), Some("d"), None]),
                ),
                (
                    "Status",
                    s(vec![
                        Some(r#"{"errorCode":0,"additionalDetails":"MFA completed"}"#),
                        Some(r#"{"errorCode":50126,"failureReason":"Invalid password"}"#),
                        None,
                        Some("not json"),
                        Some(r#"{"errorCode":700,"nested":{"a b":[1,"x",{"k":true}]},"n":null}"#),
                    ]),
                ),
                (
                    "DurationMs",
                    Arc::new(Int64Array::from(vec![
                        Some(10),
                        Some(200),
                        None,
                        Some(50),
                        Some(5000),
                    ])),
                ),
                (
                    "IsInteractive",
                    Arc::new(BooleanArray::from(vec![
                        Some(true),
                        Some(false),
                        None,
                        Some(true),
                        Some(false),
                    ])),
                ),
                (
                    "TimeGenerated",
                    times(
                        nanos,
                        &[
                            Some("2024-01-01T00:00:00Z"),
                            Some("2024-01-01T01:00:00Z"),
                            None,
                            Some("2024-01-01T03:00:00.0000015Z"),
                            Some("2024-01-01T04:00:00Z"),
                        ],
                    ),
                ),
                (
                    "_Source",
                    s(vec![Some("f"), Some("f"), None, Some("g"), Some("g")]),
                ),
                (
                    "_RecordIndex",
                    Arc::new(Int32Array::from(vec![
                        Some(0),
                        Some(1),
                        None,
                        Some(3),
                        Some(4),
                    ])),
                ),
            ],
        )
    }

    fn mask_on(batch: &RecordBatch, table_name: &str, sql: &str) -> Vec<bool> {
        let filter =
            RowFilter::compile(sql, table(table_name)).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let mask = filter
            .evaluate(batch)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(mask.null_count(), 0, "{sql}");
        mask.iter().map(Option::unwrap).collect()
    }

    /// The kept-row mask of `sql` on the microsecond sign-in batch, as `1`/`0` per row.
    fn mask(sql: &str) -> String {
        bits(mask_on(&signins(false), SIGNIN, sql))
    }

    fn bits(mask: Vec<bool>) -> String {
        mask.iter().map(|&b| if b { '1' } else { '0' }).collect()
    }

    fn error(sql: &str) -> String {
        error_in(SIGNIN, sql)
    }

    fn error_in(table_name: &str, sql: &str) -> String {
        match RowFilter::compile(sql, table(table_name)) {
            Ok(f) => panic!("{sql} compiled: {f:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn comparisons_with_a_literal_on_either_side() {
        assert_eq!(mask("ResultType = '0'"), "10010");
        assert_eq!(mask("ResultType <> '0'"), "01001");
        assert_eq!(mask("ResultType != '0'"), "01001");
        assert_eq!(mask("'0' <> ResultType"), "01001");
        assert_eq!(mask("DurationMs < 200"), "10010");
        assert_eq!(mask("DurationMs <= 200"), "11010");
        assert_eq!(mask("DurationMs > 50"), "01001");
        assert_eq!(mask("DurationMs >= 50"), "01011");
        assert_eq!(mask("50 < DurationMs"), "01001");
        assert_eq!(mask("200 >= DurationMs"), "11010");
        assert_eq!(mask("DurationMs > -1"), "11011");
        assert_eq!(mask("IsInteractive = TRUE"), "10010");
        assert_eq!(mask("FALSE = IsInteractive"), "01001");
        assert_eq!(mask("UserPrincipalName >= 'b'"), "00011");
    }

    #[test]
    fn comparisons_between_columns() {
        assert_eq!(mask("AppDisplayName = ResourceDisplayName"), "10010");
        assert_eq!(mask("AppDisplayName <> ResourceDisplayName"), "01000");
        assert_eq!(mask("AppDisplayName < ResourceDisplayName"), "01000");
        assert_eq!(
            error("ResultType = DurationMs"),
            "cannot compare `ResultType` (string) with `DurationMs` (long) in SigninLogs"
        );
    }

    #[test]
    fn nulls_follow_sql() {
        // Row 2 is NULL: no comparison keeps it, IS NULL does.
        assert_eq!(mask("ResultType <> '0'"), "01001");
        assert_eq!(mask("NOT (ResultType = '0')"), "01001");
        assert_eq!(mask("ResultType IS NULL"), "00100");
        assert_eq!(mask("ResultType IS NOT NULL"), "11011");
        assert_eq!(mask("ResultType = NULL"), "00000");
        assert_eq!(mask("ResultType <> NULL"), "00000");
        assert_eq!(mask("NULL"), "00000");
        assert_eq!(mask("NULL IS NULL"), "11111");
        assert_eq!(mask("'x' IS NULL"), "00000");
        // Three-valued logic: NULL OR TRUE is TRUE, NULL AND FALSE is FALSE (so NOT keeps it).
        assert_eq!(
            mask("ResultType = '0' OR ResourceDisplayName = 'c'"),
            "10110"
        );
        assert_eq!(mask("NOT (ResultType = '0' AND FALSE)"), "11111");
        assert_eq!(mask("NOT (ResultType = '0' AND TRUE)"), "01001");
    }

    #[test]
    fn boolean_logic_and_constants() {
        assert_eq!(
            mask("ResultType <> '0' OR RiskLevelDuringSignIn IN ('medium','high')"),
            "01011"
        );
        assert_eq!(mask("ResultType = '0' AND DurationMs > 20"), "00010");
        assert_eq!(
            mask("(ResultType = '0' OR ResultType = '700') AND NOT IsInteractive"),
            "00001"
        );
        assert_eq!(mask("TRUE"), "11111");
        assert_eq!(mask("FALSE"), "00000");
        assert_eq!(mask("IsInteractive"), "10010");
        assert_eq!(mask("NOT IsInteractive"), "01001");
        assert_eq!(mask("IsInteractive IS TRUE"), "10010");
        assert_eq!(mask("IsInteractive IS NOT TRUE"), "01101");
        assert_eq!(mask("IsInteractive IS FALSE"), "01001");
        assert_eq!(mask("IsInteractive IS NOT FALSE"), "10110");
        assert_eq!(mask("(DurationMs > 100) IS NOT TRUE"), "10110");
    }

    #[test]
    fn in_lists() {
        assert_eq!(mask("RiskLevelDuringSignIn IN ('medium', 'high')"), "01010");
        assert_eq!(
            mask("RiskLevelDuringSignIn NOT IN ('medium', 'high')"),
            "10001"
        );
        assert_eq!(mask("DurationMs IN (10, '5000')"), "10001");
        assert_eq!(mask("ResultType IN (0, 700)"), "10011");
        // A NULL item turns every miss into NULL: NOT IN then keeps nothing.
        assert_eq!(mask("ResultType IN ('0', NULL)"), "10010");
        assert_eq!(mask("ResultType NOT IN ('0', NULL)"), "00000");
    }

    #[test]
    fn between() {
        assert_eq!(mask("DurationMs BETWEEN 50 AND 200"), "01010");
        assert_eq!(mask("DurationMs NOT BETWEEN 50 AND 200"), "10001");
        assert_eq!(mask("ResultType BETWEEN '0' AND '5'"), "10010");
    }

    #[test]
    fn like_and_ilike() {
        assert_eq!(mask("UserPrincipalName LIKE '%@contoso.com'"), "10001");
        assert_eq!(mask("UserPrincipalName NOT LIKE '%@contoso.com'"), "01010");
        assert_eq!(mask("UserPrincipalName ILIKE '%@CONTOSO.com'"), "11001");
        assert_eq!(mask("UserPrincipalName NOT ILIKE '%@contoso.com'"), "00010");
        assert_eq!(mask("UserPrincipalName LIKE 'a____@%'"), "10000");
        assert_eq!(mask("ResultType LIKE 5"), "00000");
        assert_eq!(mask("ResultType LIKE '5%' ESCAPE '\\'"), "01000");
        assert_eq!(mask("UserPrincipalName LIKE NULL"), "00000");
    }

    #[test]
    fn literals_take_their_columns_type() {
        // A number meeting text compares as its text.
        assert_eq!(mask("ResultType = 0"), "10010");
        assert_eq!(mask("ResultType <> 50126"), "10011");
        // Text meeting a number parses as that number.
        assert_eq!(mask("DurationMs > '100'"), "01001");
        assert_eq!(mask("_RecordIndex = '3'"), "00010");
        // Text meeting a datetime parses as one, in any form Entra sends.
        assert_eq!(mask("TimeGenerated >= '2024-01-01T01:00:00Z'"), "01011");
        assert_eq!(mask("TimeGenerated < '1/1/2024 1:00:00 AM'"), "10000");
        assert_eq!(
            mask("TimeGenerated BETWEEN '2024-01-01 01:00' AND '2024-01-01T03:30:00Z'"),
            "01010"
        );
    }

    #[test]
    fn a_literal_finer_than_the_unit_rounds_exactly() {
        // Row 3 is 03:00:00.000001 in microseconds (the .5 µs was truncated when built).
        let at = "'2024-01-01T03:00:00.0000005Z'";
        assert_eq!(mask(&format!("TimeGenerated > {at}")), "00011");
        assert_eq!(mask(&format!("TimeGenerated >= {at}")), "00011");
        assert_eq!(mask(&format!("TimeGenerated < {at}")), "11000");
        assert_eq!(mask(&format!("TimeGenerated <= {at}")), "11000");
        assert_eq!(mask(&format!("TimeGenerated = {at}")), "00000");
        assert_eq!(mask(&format!("TimeGenerated <> {at}")), "11011");
        assert_eq!(
            mask("TimeGenerated = '2024-01-01T03:00:00.000001Z'"),
            "00010"
        );
    }

    #[test]
    fn nanosecond_batches() {
        let batch = signins(true);
        let m = |sql| bits(mask_on(&batch, SIGNIN, sql));
        assert_eq!(m("TimeGenerated >= '2024-01-01T01:00:00Z'"), "01011");
        assert_eq!(m("TimeGenerated = '2024-01-01T03:00:00.0000015Z'"), "00010");
        assert_eq!(m("TimeGenerated > '2024-01-01T03:00:00.000001Z'"), "00011");
        assert_eq!(m("TimeGenerated IS NULL"), "00100");
        assert_eq!(m("ResultType <> '0'"), "01001");
    }

    #[test]
    fn quoted_and_trailing_columns() {
        assert_eq!(mask("\"_Source\" = 'g'"), "00011");
        assert_eq!(mask("_Source = 'g' AND \"ResultType\" = '0'"), "00010");
        assert_eq!(mask("_RecordIndex >= 3"), "00011");
    }

    #[test]
    fn json_paths() {
        assert_eq!(mask("Status->>'$.errorCode' = '50126'"), "01000");
        assert_eq!(mask("Status->>'errorCode' = 700"), "00001");
        assert_eq!(mask("Status->>'$.errorCode' <> '0'"), "01001");
        assert_eq!(mask("Status->>'$.failureReason' LIKE 'Invalid%'"), "01000");
        assert_eq!(mask("Status->>'$.errorCode' IS NULL"), "00110");
        assert_eq!(mask("Status->>'$.n' IS NULL"), "11111");
        assert_eq!(mask("Status->>'$.nested' IS NOT NULL"), "00001");
        assert_eq!(mask("Status->>'$.nested.\"a b\"[1]' = 'x'"), "00001");
        assert_eq!(mask("Status->>'$.nested[\"a b\"][2].k' = 'true'"), "00001");
        assert_eq!(mask("Status->>'/nested/a b/0' = '1'"), "00001");
        assert_eq!(
            mask("Status->>'$.nested' = '{\"a b\":[1,\"x\",{\"k\":true}]}'"),
            "00001"
        );
        assert_eq!(mask("Status->>'$.errorCode' IN ('0', '700')"), "10001");
        assert_eq!(
            mask("ResultType <> '0' AND Status->>'$.failureReason' NOT LIKE '%MFA%'"),
            "01000"
        );
    }

    #[test]
    fn json_path_errors() {
        assert_eq!(
            error("DurationMs->>'a' = 'x'"),
            "unsupported SQL: DurationMs ->> 'a' (->> applies to a text column holding JSON)"
        );
        assert!(error("Status->'a' = 'x'").contains("the JSON operator is ->>"));
        assert!(error("Status->>'$.a..b' = 'x'").contains("a JSON path is"));
        assert!(error("Status->>'a'->>'b' = 'x'").contains("write one path"));
    }

    #[test]
    fn apply_keeps_the_rows_or_the_batch() {
        let batch = signins(false);
        let f = RowFilter::compile("ResultType <> '0'", table(SIGNIN)).unwrap();
        assert_eq!(f.sql(), "ResultType <> '0'");
        assert_eq!(f.table(), SIGNIN);
        let kept = f.apply(&batch).unwrap();
        assert_eq!(kept.num_rows(), 2);
        assert_eq!(kept.schema(), batch.schema());
        let codes = kept
            .column_by_name("ResultType")
            .unwrap()
            .as_string::<i32>();
        assert_eq!(
            codes.iter().collect::<Vec<_>>(),
            [Some("50126"), Some("700")]
        );

        let all = RowFilter::compile("TRUE", table(SIGNIN)).unwrap();
        let same = all.apply(&batch).unwrap();
        assert!(Arc::ptr_eq(same.column(0), batch.column(0)));
        let none = RowFilter::compile("FALSE", table(SIGNIN)).unwrap();
        assert_eq!(none.apply(&batch).unwrap().num_rows(), 0);
    }

    #[test]
    fn errors_say_what_and_where() {
        assert_eq!(
            error("Foo = 'x'"),
            "column `Foo` is not in table SigninLogs"
        );
        assert_eq!(
            error("resulttype = '0'"),
            "column `resulttype` is not in table SigninLogs \
             (did you mean `ResultType`? names are case-sensitive)"
        );
        assert_eq!(
            error("ResultType = \"0\""),
            "column `0` is not in table SigninLogs \
             (double quotes name a column; write text in single quotes)"
        );
        assert_eq!(
            error("DurationMs > 'abc'"),
            "`DurationMs` is long in SigninLogs; 'abc' is not a long"
        );
        assert_eq!(
            error("DurationMs = 1.5"),
            "`DurationMs` is long in SigninLogs; 1.5 is not a long"
        );
        assert_eq!(
            error_in("MicrosoftGraphActivityLogs", "ResponseStatusCode <> 'abc'"),
            "`ResponseStatusCode` is int in MicrosoftGraphActivityLogs; 'abc' is not an int"
        );
        assert_eq!(
            error("IsInteractive = 'yes'"),
            "`IsInteractive` is bool in SigninLogs; 'yes' is not a bool"
        );
        assert_eq!(
            error("ResultType = TRUE"),
            "`ResultType` is string in SigninLogs; TRUE is not a string"
        );
        assert_eq!(
            error("TimeGenerated > 'yesterday'"),
            "`TimeGenerated` is datetime in SigninLogs; 'yesterday' is not a datetime"
        );
        assert_eq!(
            error("TimeGenerated > 5"),
            "`TimeGenerated` is datetime in SigninLogs; 5 is not a datetime"
        );
        assert_eq!(
            error("DurationMs LIKE '1%'"),
            "`DurationMs` is long in SigninLogs; LIKE needs text"
        );
        assert_eq!(
            error("ResultType"),
            "`ResultType` is string in SigninLogs; only a bool column is a condition by itself"
        );
        assert_eq!(
            error("upper(ResultType) = 'X'"),
            "unsupported SQL: upper(ResultType) (functions are not supported)"
        );
        assert_eq!(
            error("DurationMs + 1 > 5"),
            "unsupported SQL: DurationMs + 1 (arithmetic is not supported)"
        );
        assert!(error("ResultType IN (SELECT 1)").starts_with("unsupported SQL: "));
        assert!(error("ResultType IN (AppId)").contains("IN takes a list of literal values"));
        assert!(error("'a' = 'a'").starts_with("unsupported SQL: 'a' = 'a'"));
        assert!(error("t.ResultType = '0'").contains("without a qualifier"));
        assert!(error("ResultType LIKE AppId").contains("a LIKE pattern must be a literal"));
        assert!(error("ResultType LIKE 'a' ESCAPE '!'").contains("the only ESCAPE"));
    }

    #[test]
    fn syntax_errors_and_trailing_input() {
        let e = error("ResultType = '0' foo");
        assert!(
            e.starts_with("syntax: expected the end of the condition, found `foo`"),
            "{e}"
        );
        assert!(e.contains("Column: 18"), "{e}");
        assert_eq!(
            error("ResultType = "),
            "syntax: Expected: an expression, found: EOF"
        );
        assert!(error("").starts_with("syntax: "));
        assert!(error("ResultType = '0';").starts_with("syntax: "));
        assert!(error("(ResultType = '0'").starts_with("syntax: "));
    }

    /// `ResultType <> '0'`, the common route, on every sign-in table whatever its ResultType's
    /// type there.
    #[test]
    fn result_type_filter_on_every_signin_table() {
        for name in [
            "SigninLogs",
            "AADNonInteractiveUserSignInLogs",
            "AADServicePrincipalSignInLogs",
            "AADManagedIdentitySignInLogs",
        ] {
            let t = table(name);
            for nanos in [false, true] {
                let schema = arrow_schema_for(
                    t,
                    SchemaOptions {
                        nanosecond_timestamps: nanos,
                    },
                );
                let field = schema.field_with_name("ResultType").unwrap();
                let codes: ArrayRef = match field.data_type() {
                    DataType::Utf8 => {
                        Arc::new(StringArray::from(vec![Some("0"), Some("50126"), None]))
                    }
                    DataType::Int32 => Arc::new(Int32Array::from(vec![Some(0), Some(50126), None])),
                    DataType::Int64 => Arc::new(Int64Array::from(vec![Some(0), Some(50126), None])),
                    other => panic!("{name}: ResultType is {other}"),
                };
                let batch = batch_of(schema, vec![("ResultType", codes)]);
                assert_eq!(
                    bits(mask_on(&batch, name, "ResultType <> '0'")),
                    "010",
                    "{name}"
                );
                assert_eq!(
                    bits(mask_on(&batch, name, "ResultType = 0")),
                    "100",
                    "{name}"
                );
                assert_eq!(
                    bits(mask_on(&batch, name, "TimeGenerated IS NULL")),
                    "111",
                    "{name}"
                );
            }
        }
    }

    /// The kinds the catalogue has no column of yet (`real`) still compile and evaluate.
    #[test]
    fn real_columns() {
        let mut t = table(SIGNIN).clone();
        let i = t.column_index("DurationMs").unwrap();
        t.columns[i].la_type = LaType::Real;
        let schema = arrow_schema_for(&t, SchemaOptions::default());
        let values: ArrayRef = Arc::new(Float64Array::from(vec![Some(0.5), Some(2.0), None]));
        let batch = batch_of(schema, vec![("DurationMs", values)]);
        let m = |sql: &str| {
            bits(
                RowFilter::compile(sql, &t)
                    .unwrap()
                    .evaluate(&batch)
                    .unwrap()
                    .iter()
                    .map(Option::unwrap)
                    .collect(),
            )
        };
        assert_eq!(m("DurationMs > 1"), "010");
        assert_eq!(m("DurationMs < '1.5'"), "100");
        assert_eq!(m("DurationMs = 2"), "010");
        assert_eq!(
            RowFilter::compile("DurationMs = 'inf'", &t)
                .unwrap_err()
                .to_string(),
            "`DurationMs` is real in SigninLogs; 'inf' is not a real"
        );
    }

    #[test]
    fn evaluating_a_batch_without_the_column_is_an_error() {
        let f = RowFilter::compile("ResultType <> '0'", table(SIGNIN)).unwrap();
        let other = batch_of(
            arrow_schema_for(table("AuditLogs"), SchemaOptions::default()),
            vec![],
        );
        // AuditLogs has a ResultType too: the filter reads by name.
        assert_eq!(f.evaluate(&other).unwrap().len(), 0);
        let f = RowFilter::compile("IsInteractive", table(SIGNIN)).unwrap();
        assert!(f.evaluate(&other).is_err());
    }
}
