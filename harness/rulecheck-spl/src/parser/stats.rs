//! `stats`, `eventstats`, `streamstats` and `tstats`: options,
//! aggregations (`count`, `values(x) as y`, `count(eval(…))`), `by` fields,
//! and for `tstats` the `from` and `where` clauses.

use super::{PResult, Parser, to_word};
use crate::ast::{
    AggArg, Aggregation, CommandOption, Stats, StatsFlavor, Tstats, TstatsSource, Word,
};
use crate::lexer::{Mode, TokenKind};

impl Parser<'_> {
    /// `stats`-like commands after the name.
    pub(crate) fn stats(&mut self, flavor: StatsFlavor) -> PResult<Stats> {
        let mut options = Vec::new();
        let aggregations = self.aggregations(&mut options, &["by"])?;
        let mut by = Vec::new();
        if self.eat_keyword("by") {
            self.by_fields(&mut by, &mut options)?;
        }
        Ok(Stats {
            flavor,
            options,
            aggregations,
            by,
        })
    }

    /// `tstats` after the name.
    pub(crate) fn tstats(&mut self) -> PResult<Tstats> {
        let mut options = Vec::new();
        let aggregations = self.aggregations(&mut options, &["by", "from", "where"])?;
        let mut tstats = Tstats {
            options,
            aggregations,
            from: None,
            filter: None,
            by: Vec::new(),
            by_options: Vec::new(),
        };
        loop {
            if self.eat_keyword("from") {
                tstats.from = Some(self.tstats_source()?);
            } else if self.eat_keyword("where") {
                tstats.filter = self.search_expr(&["by"])?;
            } else if self.eat_keyword("by") {
                self.by_fields(&mut tstats.by, &mut tstats.by_options)?;
            } else {
                return Ok(tstats);
            }
        }
    }

    /// `datamodel=Endpoint.Processes`, `datamodel:X`, `datamodel X` or any
    /// other source word.
    fn tstats_source(&mut self) -> PResult<TstatsSource> {
        let first = self.word(Mode::Search, "a data model after `from`")?;
        let model = if first.is_keyword("datamodel") {
            let eq = self.peek(Mode::Search);
            if eq.is_op("=") {
                self.bump(&eq);
            }
            self.word(Mode::Value, "a data model name")?
        } else if let Some(rest) = first
            .text
            .strip_prefix("datamodel:")
            .or_else(|| first.text.strip_prefix("DATAMODEL:"))
        {
            let offset = first.span.start as usize + "datamodel:".len();
            Word {
                text: rest.to_owned(),
                quoted: false,
                span: rulecheck_core::Span::new(offset, first.span.end as usize),
            }
        } else {
            return Ok(TstatsSource::Other(first));
        };
        let (model, dataset) = split_dataset(model);
        Ok(TstatsSource::Datamodel { model, dataset })
    }

    /// Aggregations and options up to one of the `stop` keywords or the end
    /// of the command.
    pub(crate) fn aggregations(
        &mut self,
        options: &mut Vec<CommandOption>,
        stop: &[&str],
    ) -> PResult<Vec<Aggregation>> {
        let mut aggregations = Vec::new();
        loop {
            if self.at_command_end() || stop.iter().any(|k| self.at_keyword(k)) {
                return Ok(aggregations);
            }
            if self.eat_comma() {
                continue;
            }
            if let Some(option) = self.opt_option()? {
                options.push(option);
                continue;
            }
            aggregations.push(self.aggregation()?);
        }
    }

    fn aggregation(&mut self) -> PResult<Aggregation> {
        let function = self.word(
            Mode::Search,
            "an aggregation such as `count` or `values(x)`",
        )?;
        let start = function.span.start as usize;
        let mut arg = None;
        let open = self.peek(Mode::Search);
        if open.kind == TokenKind::LParen {
            self.bump(&open);
            arg = self.aggregation_arg()?;
            self.expect(
                Mode::Search,
                TokenKind::RParen,
                "`)` closing the aggregation",
            )?;
        }
        let mut alias = None;
        if self.eat_keyword("as") {
            alias = Some(self.field_name("a field name after `as`")?);
        }
        Ok(Aggregation {
            function,
            arg,
            alias,
            span: self.span_from(start),
        })
    }

    fn aggregation_arg(&mut self) -> PResult<Option<AggArg>> {
        let token = self.peek(Mode::Search);
        match token.kind {
            TokenKind::RParen => Ok(None),
            TokenKind::Word
                if token.is_keyword("eval")
                    && self.peek_after(&token, Mode::Search).kind == TokenKind::LParen =>
            {
                self.bump(&token);
                self.expect(Mode::Expr, TokenKind::LParen, "`(` after `eval`")?;
                let expr = self.expr()?;
                self.expect(Mode::Expr, TokenKind::RParen, "`)` closing `eval(`")?;
                Ok(Some(AggArg::Eval(expr)))
            }
            TokenKind::Word | TokenKind::Quoted => {
                self.bump(&token);
                Ok(Some(AggArg::Field(to_word(token))))
            }
            _ => Err(self.unexpected(&token, "a field name")),
        }
    }

    /// The fields after `by`, with options such as `span=1h` among them.
    fn by_fields(&mut self, by: &mut Vec<Word>, options: &mut Vec<CommandOption>) -> PResult<()> {
        let first = self.peek(Mode::Search);
        if !matches!(first.kind, TokenKind::Word | TokenKind::Quoted) {
            return Err(self.unexpected(&first, "a field name after `by`"));
        }
        loop {
            if self.at_command_end() || self.at_keyword("where") || self.at_keyword("from") {
                return Ok(());
            }
            if self.eat_comma() {
                continue;
            }
            if let Some(option) = self.opt_option()? {
                options.push(option);
                continue;
            }
            by.push(self.field_name("a field name after `by`")?);
        }
    }
}

/// `Endpoint.Processes` → (`Endpoint`, `Processes`).
fn split_dataset(word: Word) -> (Word, Option<Word>) {
    let Some(dot) = word.text.find('.') else {
        return (word, None);
    };
    // Offsets inside a quoted name are shifted by the opening quote.
    let base = word.span.start as usize + usize::from(word.quoted);
    let model = Word {
        text: word.text[..dot].to_owned(),
        quoted: word.quoted,
        span: rulecheck_core::Span::new(base, base + dot),
    };
    let dataset = Word {
        text: word.text[dot + 1..].to_owned(),
        quoted: word.quoted,
        span: rulecheck_core::Span::new(base + dot + 1, base + word.text.len()),
    };
    (model, Some(dataset))
}
