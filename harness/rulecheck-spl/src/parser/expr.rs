//! The expression language of `eval` and `where`: precedence from the
//! loosest to the tightest binding is `XOR`, `OR`, `AND`, `NOT`,
//! comparisons (`= == != <> < <= > >= LIKE IN`), `+ - .`, `* / %`, then the
//! unary `-` / `+`. Keywords are accepted in any case.

use rulecheck_core::Span;

use super::{PResult, Parser, to_word};
use crate::ast::{BinaryOp, Expr, UnaryOp, Word};
use crate::lexer::{Mode, Token, TokenKind};

const KEYWORDS: [&str; 6] = ["AND", "OR", "XOR", "NOT", "LIKE", "IN"];

impl Parser<'_> {
    /// An expression.
    pub(crate) fn expr(&mut self) -> PResult<Expr> {
        let token = self.peek(Mode::Expr);
        self.enter(token.span)?;
        let result = self.expr_xor();
        self.leave();
        result
    }

    fn binary_level(
        &mut self,
        next: fn(&mut Self) -> PResult<Expr>,
        op_of: fn(&Token) -> Option<BinaryOp>,
    ) -> PResult<Expr> {
        let mut lhs = next(self)?;
        loop {
            let token = self.peek(Mode::Expr);
            let Some(op) = op_of(&token) else {
                return Ok(lhs);
            };
            self.bump(&token);
            let rhs = next(self)?;
            let span = Span::new(lhs.span().start as usize, rhs.span().end as usize);
            lhs = Expr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                span,
            };
        }
    }

    fn expr_xor(&mut self) -> PResult<Expr> {
        self.binary_level(Self::expr_or, |t| {
            t.is_keyword("XOR").then_some(BinaryOp::Xor)
        })
    }

    fn expr_or(&mut self) -> PResult<Expr> {
        self.binary_level(Self::expr_and, |t| {
            t.is_keyword("OR").then_some(BinaryOp::Or)
        })
    }

    fn expr_and(&mut self) -> PResult<Expr> {
        self.binary_level(Self::expr_not, |t| {
            t.is_keyword("AND").then_some(BinaryOp::And)
        })
    }

    fn expr_not(&mut self) -> PResult<Expr> {
        let token = self.peek(Mode::Expr);
        if token.is_keyword("NOT") || token.is_op("!") {
            self.bump(&token);
            self.enter(token.span)?;
            let inner = self.expr_not();
            self.leave();
            let inner = inner?;
            let span = Span::new(token.span.start as usize, inner.span().end as usize);
            return Ok(Expr::Unary {
                op: UnaryOp::Not,
                expr: Box::new(inner),
                span,
            });
        }
        self.expr_compare()
    }

    fn expr_compare(&mut self) -> PResult<Expr> {
        let mut lhs = self.expr_additive()?;
        loop {
            let token = self.peek(Mode::Expr);
            if token.is_keyword("IN") {
                self.bump(&token);
                let list = self.call_args("`(` after `IN`")?;
                let span = self.span_from(lhs.span().start as usize);
                lhs = Expr::In {
                    expr: Box::new(lhs),
                    list,
                    span,
                };
                continue;
            }
            let op = if token.is_keyword("LIKE") {
                BinaryOp::Like
            } else if token.kind == TokenKind::Op {
                match token.text.as_str() {
                    "=" | "==" => BinaryOp::Eq,
                    "!=" | "<>" => BinaryOp::Ne,
                    "<" => BinaryOp::Lt,
                    "<=" => BinaryOp::Le,
                    ">" => BinaryOp::Gt,
                    ">=" => BinaryOp::Ge,
                    _ => return Ok(lhs),
                }
            } else {
                return Ok(lhs);
            };
            self.bump(&token);
            let rhs = self.expr_additive()?;
            let span = Span::new(lhs.span().start as usize, rhs.span().end as usize);
            lhs = Expr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                span,
            };
        }
    }

    fn expr_additive(&mut self) -> PResult<Expr> {
        self.binary_level(Self::expr_multiplicative, |t| match t.kind {
            TokenKind::Op => match t.text.as_str() {
                "+" => Some(BinaryOp::Add),
                "-" => Some(BinaryOp::Sub),
                "." => Some(BinaryOp::Concat),
                _ => None,
            },
            _ => None,
        })
    }

    fn expr_multiplicative(&mut self) -> PResult<Expr> {
        self.binary_level(Self::expr_unary, |t| match t.kind {
            TokenKind::Op => match t.text.as_str() {
                "*" => Some(BinaryOp::Mul),
                "/" => Some(BinaryOp::Div),
                "%" => Some(BinaryOp::Mod),
                _ => None,
            },
            _ => None,
        })
    }

    fn expr_unary(&mut self) -> PResult<Expr> {
        let token = self.peek(Mode::Expr);
        let op = match token.text.as_str() {
            "-" if token.kind == TokenKind::Op => UnaryOp::Neg,
            "+" if token.kind == TokenKind::Op => UnaryOp::Plus,
            _ => return self.expr_primary(),
        };
        self.bump(&token);
        self.enter(token.span)?;
        let inner = self.expr_unary();
        self.leave();
        let inner = inner?;
        let span = Span::new(token.span.start as usize, inner.span().end as usize);
        Ok(Expr::Unary {
            op,
            expr: Box::new(inner),
            span,
        })
    }

    fn expr_primary(&mut self) -> PResult<Expr> {
        let token = self.peek(Mode::Expr);
        match token.kind {
            TokenKind::Number => {
                self.bump(&token);
                Ok(Expr::Number(token.text, token.span))
            }
            TokenKind::Quoted => {
                self.bump(&token);
                Ok(Expr::String(token.text, token.span))
            }
            TokenKind::SingleQuoted => {
                self.bump(&token);
                Ok(Expr::Field(Word {
                    text: token.text,
                    quoted: false,
                    span: token.span,
                }))
            }
            TokenKind::LParen => {
                self.bump(&token);
                let inner = self.expr()?;
                self.expect(Mode::Expr, TokenKind::RParen, "`)`")?;
                Ok(inner)
            }
            // `like(x, "%a%")` and `in(x, "a", "b")` are also functions.
            TokenKind::Word
                if !KEYWORDS.iter().any(|k| token.is_keyword(k))
                    || ((token.is_keyword("LIKE") || token.is_keyword("IN"))
                        && self.peek_after(&token, Mode::Expr).kind == TokenKind::LParen) =>
            {
                self.bump(&token);
                let open = self.peek(Mode::Expr);
                if open.kind == TokenKind::LParen {
                    let args = self.call_args("`(`")?;
                    return Ok(Expr::Call {
                        span: self.span_from(token.span.start as usize),
                        name: to_word(token),
                        args,
                    });
                }
                Ok(Expr::Field(to_word(token)))
            }
            _ => Err(self.unexpected(&token, "an expression")),
        }
    }

    /// `( expr, … )` of a function call or `IN`.
    fn call_args(&mut self, what: &str) -> PResult<Vec<Expr>> {
        let open = self.expect(Mode::Expr, TokenKind::LParen, what)?;
        self.enter(open.span)?;
        let result = self.call_args_inner();
        self.leave();
        result
    }

    fn call_args_inner(&mut self) -> PResult<Vec<Expr>> {
        let mut args = Vec::new();
        let close = self.peek(Mode::Expr);
        if close.kind == TokenKind::RParen {
            self.bump(&close);
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            let token = self.peek(Mode::Expr);
            match token.kind {
                TokenKind::Comma => self.bump(&token),
                TokenKind::RParen => {
                    self.bump(&token);
                    return Ok(args);
                }
                _ => return Err(self.unexpected(&token, "`,` or `)`")),
            }
        }
    }
}
