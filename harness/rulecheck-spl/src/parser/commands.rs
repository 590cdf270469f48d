//! The typed commands other than the statistics ones, and the dispatch from
//! a command name to its parser.

use rulecheck_core::Diagnostic;

use super::{PResult, Parser, SYNTAX, to_word};
use crate::ast::{
    Append, Bin, CommandKind, ConversionCall, Convert, Dedup, Eval, EvalAssignment, Fields,
    FieldsMode, Fillnull, From, Head, Inputlookup, Join, Lookup, LookupField, Makemv, Mvexpand,
    Regex, Rename, RenamePair, Rex, RexMode, Sort, SortKey, SortOrder, Spath, StatsFlavor, Table,
    Word,
};
use crate::lexer::{Mode, TokenKind};

impl Parser<'_> {
    /// The arguments of the command called `name`.
    pub(crate) fn command_kind(&mut self, name: &Word) -> PResult<CommandKind> {
        Ok(match name.text.to_ascii_lowercase().as_str() {
            "search" => CommandKind::Search(self.search_expr(&[])?),
            "where" => CommandKind::Where(self.expr()?),
            "eval" => CommandKind::Eval(self.eval()?),
            "stats" => CommandKind::Stats(self.stats(StatsFlavor::Stats)?),
            "eventstats" => CommandKind::Stats(self.stats(StatsFlavor::EventStats)?),
            "streamstats" => CommandKind::Stats(self.stats(StatsFlavor::StreamStats)?),
            "tstats" => CommandKind::Tstats(self.tstats()?),
            "table" => CommandKind::Table(Table {
                fields: self.field_list()?,
            }),
            "fields" => CommandKind::Fields(self.fields()?),
            "rename" => CommandKind::Rename(self.rename()?),
            "rex" => CommandKind::Rex(self.rex()?),
            "regex" => CommandKind::Regex(self.regex()?),
            "bin" | "bucket" => CommandKind::Bin(self.bin()?),
            "dedup" => CommandKind::Dedup(self.dedup()?),
            "sort" => CommandKind::Sort(self.sort()?),
            "head" => CommandKind::Head(self.head()?),
            "tail" => CommandKind::Tail(self.head()?),
            "fillnull" => CommandKind::Fillnull(self.fillnull()?),
            "convert" => CommandKind::Convert(self.convert()?),
            "lookup" => CommandKind::Lookup(self.lookup()?),
            "inputlookup" => CommandKind::Inputlookup(self.inputlookup()?),
            "makemv" => CommandKind::Makemv(self.makemv()?),
            "mvexpand" => CommandKind::Mvexpand(self.mvexpand()?),
            "spath" => CommandKind::Spath(self.spath()?),
            "join" => CommandKind::Join(self.join()?),
            "append" => CommandKind::Append(self.append()?),
            "from" => CommandKind::From(self.from()?),
            _ => CommandKind::Generic(self.generic_args()?),
        })
    }

    fn eval(&mut self) -> PResult<Eval> {
        let mut assignments = Vec::new();
        loop {
            // The destination is a search-mode word (`a-b`, `{key}`) or a
            // quoted name.
            let quoted = self.peek(Mode::Expr);
            let token = if quoted.kind == TokenKind::SingleQuoted {
                quoted
            } else {
                self.peek(Mode::Search)
            };
            let field = match token.kind {
                TokenKind::Word | TokenKind::SingleQuoted | TokenKind::Quoted => {
                    self.bump(&token);
                    Word {
                        quoted: false,
                        text: token.text,
                        span: token.span,
                    }
                }
                _ => return Err(self.unexpected(&token, "a field name to assign")),
            };
            let eq = self.peek(Mode::Expr);
            if !eq.is_op("=") {
                return Err(self.unexpected(&eq, &format!("`=` after `{}`", field.text)));
            }
            self.bump(&eq);
            let expr = self.expr()?;
            assignments.push(EvalAssignment { field, expr });
            if !self.eat_comma() {
                return Ok(Eval { assignments });
            }
        }
    }

    fn fields(&mut self) -> PResult<Fields> {
        let mut mode = FieldsMode::Keep;
        let sign = self.peek(Mode::Search);
        if sign.kind == TokenKind::Word && (sign.text == "-" || sign.text == "+") {
            self.bump(&sign);
            if sign.text == "-" {
                mode = FieldsMode::Remove;
            }
        }
        Ok(Fields {
            mode,
            fields: self.field_list()?,
        })
    }

    fn rename(&mut self) -> PResult<Rename> {
        let mut pairs = Vec::new();
        while !self.at_command_end() {
            if self.eat_comma() {
                continue;
            }
            let from = self.field_name("a field name to rename")?;
            if !self.eat_keyword("as") {
                let token = self.peek(Mode::Search);
                return Err(self.unexpected(&token, &format!("`as` after `{}`", from.text)));
            }
            let to = self.field_name("the new field name after `as`")?;
            pairs.push(RenamePair { from, to });
        }
        Ok(Rename { pairs })
    }

    fn rex(&mut self) -> PResult<Rex> {
        let start = self.offset();
        let mut field = None;
        let mut mode = RexMode::Extract;
        let mut pattern = None;
        let mut options = Vec::new();
        while !self.at_command_end() {
            if let Some(option) = self.opt_option()? {
                match option.key.text.to_ascii_lowercase().as_str() {
                    "field" => field = Some(option.value),
                    "mode" if option.value.is_keyword("sed") => mode = RexMode::Sed,
                    _ => options.push(option),
                }
                continue;
            }
            if pattern.is_none() {
                pattern = Some(self.argument("a regular expression")?);
                continue;
            }
            let token = self.peek(Mode::Search);
            return Err(self.unexpected(&token, "a rex option or `|`"));
        }
        let Some(pattern) = pattern else {
            return Err(
                Diagnostic::error(SYNTAX, "`rex` needs a regular expression")
                    .with_span(self.span_from(start))
                    .with_help("write the expression in double quotes: rex field=x \"(?<name>…)\""),
            );
        };
        let groups = match mode {
            RexMode::Extract => named_groups(&pattern.text),
            RexMode::Sed => Vec::new(),
        };
        Ok(Rex {
            field,
            mode,
            pattern,
            groups,
            options,
        })
    }

    fn regex(&mut self) -> PResult<Regex> {
        let first = self.peek(Mode::Search);
        let after = self.peek_after(&first, Mode::Search);
        if first.kind == TokenKind::Word && (after.is_op("=") || after.is_op("!=")) {
            self.bump(&first);
            self.bump(&after);
            let pattern = self.argument("a regular expression")?;
            return Ok(Regex {
                field: Some(to_word(first)),
                negated: after.text == "!=",
                pattern,
            });
        }
        let pattern = self.argument("a regular expression")?;
        Ok(Regex {
            field: None,
            negated: false,
            pattern,
        })
    }

    fn bin(&mut self) -> PResult<Bin> {
        let mut bin = Bin {
            options: Vec::new(),
            field: None,
            alias: None,
        };
        while !self.at_command_end() {
            if let Some(option) = self.opt_option()? {
                bin.options.push(option);
            } else if bin.field.is_some() && self.eat_keyword("as") {
                bin.alias = Some(self.word(Mode::Search, "a field name after `as`")?);
            } else if bin.field.is_none() {
                bin.field = Some(self.word(Mode::Search, "a field name")?);
            } else {
                let token = self.peek(Mode::Search);
                return Err(self.unexpected(&token, "a bin option or `|`"));
            }
        }
        Ok(bin)
    }

    fn dedup(&mut self) -> PResult<Dedup> {
        let mut dedup = Dedup {
            count: None,
            fields: Vec::new(),
            options: Vec::new(),
            sort_by: Vec::new(),
        };
        let first = self.peek(Mode::Search);
        if first.kind == TokenKind::Word && is_count(&first.text) {
            self.bump(&first);
            dedup.count = Some(to_word(first));
        }
        while !self.at_command_end() {
            if self.eat_comma() {
                continue;
            }
            if let Some(option) = self.opt_option()? {
                dedup.options.push(option);
            } else if self.eat_keyword("sortby") {
                dedup.sort_by = self.sort_keys()?;
            } else {
                dedup.fields.push(self.field_name("a field name")?);
            }
        }
        Ok(dedup)
    }

    fn sort(&mut self) -> PResult<Sort> {
        let mut limit = None;
        let first = self.peek(Mode::Search);
        if first.kind == TokenKind::Word && is_count(&first.text) {
            self.bump(&first);
            limit = Some(to_word(first));
        }
        if let Some(option) = self.opt_option()? {
            if option.key.is_keyword("limit") {
                limit = Some(option.value);
            } else {
                return Err(Diagnostic::error(
                    SYNTAX,
                    format!("unknown `sort` option `{}`", option.key.text),
                )
                .with_span(option.key.span));
            }
        }
        let mut keys = self.sort_keys()?;
        let mut descending = false;
        if let Some(last) = keys.last()
            && last.interpretation.is_none()
            && last.order == SortOrder::Ascending
            && (last.field.is_keyword("desc") || last.field.is_keyword("d"))
            && keys.len() > 1
        {
            keys.pop();
            descending = true;
        }
        Ok(Sort {
            limit,
            keys,
            descending,
        })
    }

    /// Sort keys: `-field`, `+ field`, `num(field)`, separated by spaces or
    /// commas.
    fn sort_keys(&mut self) -> PResult<Vec<SortKey>> {
        let mut keys = Vec::new();
        let mut pending: Option<SortOrder> = None;
        while !self.at_command_end() {
            if self.eat_comma() {
                continue;
            }
            let mut word = self.word(Mode::Search, "a field to sort by")?;
            let mut order = pending.take().unwrap_or(SortOrder::Ascending);
            if word.text == "-" || word.text == "+" {
                pending = Some(sign_order(&word.text));
                continue;
            }
            if let Some(rest) = word.text.strip_prefix(['-', '+']) {
                order = sign_order(&word.text[..1]);
                word = Word {
                    text: rest.to_owned(),
                    quoted: word.quoted,
                    span: rulecheck_core::Span::new(
                        word.span.start as usize + 1,
                        word.span.end as usize,
                    ),
                };
            }
            let open = self.peek(Mode::Search);
            if open.kind == TokenKind::LParen && Self::adjacent_word(&word, &open) {
                self.bump(&open);
                let field = self.word(Mode::Search, "a field name")?;
                self.expect(Mode::Search, TokenKind::RParen, "`)`")?;
                keys.push(SortKey {
                    field,
                    order,
                    interpretation: Some(word),
                });
            } else {
                keys.push(SortKey {
                    field: word,
                    order,
                    interpretation: None,
                });
            }
        }
        Ok(keys)
    }

    fn adjacent_word(word: &Word, next: &crate::lexer::Token) -> bool {
        word.span.end == next.span.start
    }

    fn head(&mut self) -> PResult<Head> {
        let mut head = Head {
            count: None,
            options: Vec::new(),
        };
        while !self.at_command_end() {
            if let Some(option) = self.opt_option()? {
                head.options.push(option);
                continue;
            }
            let token = self.peek(Mode::Search);
            if head.count.is_none() && token.kind == TokenKind::Word && is_count(&token.text) {
                self.bump(&token);
                head.count = Some(to_word(token));
                continue;
            }
            return Err(self.unexpected(&token, "a number of results"));
        }
        Ok(head)
    }

    fn fillnull(&mut self) -> PResult<Fillnull> {
        let mut fillnull = Fillnull {
            value: None,
            fields: Vec::new(),
        };
        while !self.at_command_end() {
            if self.eat_comma() {
                continue;
            }
            if let Some(option) = self.opt_option()? {
                if option.key.is_keyword("value") {
                    fillnull.value = Some(option.value);
                    continue;
                }
                return Err(Diagnostic::error(
                    SYNTAX,
                    format!("unknown `fillnull` option `{}`", option.key.text),
                )
                .with_span(option.key.span)
                .with_help("`fillnull` takes `value=` and a list of fields"));
            }
            fillnull.fields.push(self.field_name("a field name")?);
        }
        Ok(fillnull)
    }

    fn convert(&mut self) -> PResult<Convert> {
        let options = self.options()?;
        let mut conversions = Vec::new();
        while !self.at_command_end() {
            if self.eat_comma() {
                continue;
            }
            let function = self.word(Mode::Search, "a conversion such as `ctime(field)`")?;
            self.expect(
                Mode::Search,
                TokenKind::LParen,
                "`(` after the conversion function",
            )?;
            let field = self.word(Mode::Search, "a field name")?;
            self.expect(Mode::Search, TokenKind::RParen, "`)`")?;
            let alias = if self.eat_keyword("as") {
                Some(self.word(Mode::Search, "a field name after `as`")?)
            } else {
                None
            };
            conversions.push(ConversionCall {
                function,
                field,
                alias,
            });
        }
        Ok(Convert {
            options,
            conversions,
        })
    }

    fn lookup(&mut self) -> PResult<Lookup> {
        let options = self.options()?;
        let table = self.word(Mode::Search, "a lookup table name")?;
        let inputs = self.lookup_fields()?;
        let mut output_mode = None;
        let mut outputs = Vec::new();
        let token = self.peek(Mode::Search);
        if token.is_keyword("OUTPUT") || token.is_keyword("OUTPUTNEW") {
            self.bump(&token);
            output_mode = Some(to_word(token));
            outputs = self.lookup_fields()?;
        }
        Ok(Lookup {
            options,
            table,
            inputs,
            output_mode,
            outputs,
        })
    }

    fn lookup_fields(&mut self) -> PResult<Vec<LookupField>> {
        let mut fields = Vec::new();
        while !self.at_command_end() && !self.at_keyword("OUTPUT") && !self.at_keyword("OUTPUTNEW")
        {
            if self.eat_comma() {
                continue;
            }
            let field = self.word(Mode::Search, "a lookup field")?;
            let alias = if self.eat_keyword("as") {
                Some(self.word(Mode::Search, "a field name after `as`")?)
            } else {
                None
            };
            fields.push(LookupField { field, alias });
        }
        Ok(fields)
    }

    fn inputlookup(&mut self) -> PResult<Inputlookup> {
        let options = self.options()?;
        let mut options = options;
        let table = self.word(Mode::Search, "a lookup table name")?;
        options.extend(self.options()?);
        let filter = if self.eat_keyword("where") {
            self.search_expr(&[])?
        } else {
            None
        };
        Ok(Inputlookup {
            options,
            table,
            filter,
        })
    }

    fn makemv(&mut self) -> PResult<Makemv> {
        let mut options = self.options()?;
        let field = self.word(Mode::Search, "a field name")?;
        options.extend(self.options()?);
        Ok(Makemv { options, field })
    }

    fn mvexpand(&mut self) -> PResult<Mvexpand> {
        let field = self.word(Mode::Search, "a field name")?;
        let options = self.options()?;
        Ok(Mvexpand { field, options })
    }

    fn spath(&mut self) -> PResult<Spath> {
        let mut spath = Spath {
            input: None,
            output: None,
            path: None,
        };
        while !self.at_command_end() {
            if let Some(option) = self.opt_option()? {
                let slot = match option.key.text.to_ascii_lowercase().as_str() {
                    "input" => &mut spath.input,
                    "output" => &mut spath.output,
                    "path" => &mut spath.path,
                    _ => {
                        return Err(Diagnostic::error(
                            SYNTAX,
                            format!("unknown `spath` option `{}`", option.key.text),
                        )
                        .with_span(option.key.span)
                        .with_help("`spath` takes `input=`, `output=` and `path=`"));
                    }
                };
                *slot = Some(option.value);
            } else if spath.path.is_none() {
                spath.path = Some(self.word(Mode::Value, "a path")?);
            } else {
                let token = self.peek(Mode::Search);
                return Err(self.unexpected(&token, "`|` after the path"));
            }
        }
        Ok(spath)
    }

    fn join(&mut self) -> PResult<Join> {
        let mut options = Vec::new();
        let mut fields = Vec::new();
        loop {
            if let Some(option) = self.opt_option()? {
                options.push(option);
                continue;
            }
            let token = self.peek(Mode::Search);
            match token.kind {
                TokenKind::Comma => self.bump(&token),
                TokenKind::Word | TokenKind::Quoted => {
                    self.bump(&token);
                    fields.push(to_word(token));
                }
                _ => break,
            }
        }
        let (subsearch, _) = self.subsearch()?;
        Ok(Join {
            options,
            fields,
            subsearch,
        })
    }

    fn append(&mut self) -> PResult<Append> {
        let options = self.options()?;
        let (subsearch, _) = self.subsearch()?;
        Ok(Append { options, subsearch })
    }

    fn from(&mut self) -> PResult<From> {
        let kind = self.word(
            Mode::Search,
            "a dataset such as `datamodel Endpoint.Processes`",
        )?;
        if let Some((prefix, rest)) = kind.text.split_once(':') {
            let split = kind.span.start as usize + prefix.len();
            return Ok(From {
                dataset_kind: Word {
                    text: prefix.to_owned(),
                    quoted: false,
                    span: rulecheck_core::Span::new(kind.span.start as usize, split),
                },
                dataset: Word {
                    text: rest.to_owned(),
                    quoted: false,
                    span: rulecheck_core::Span::new(split + 1, kind.span.end as usize),
                },
            });
        }
        let eq = self.peek(Mode::Search);
        if eq.is_op("=") {
            self.bump(&eq);
        }
        let dataset = self.word(Mode::Value, "a dataset name")?;
        Ok(From {
            dataset_kind: kind,
            dataset,
        })
    }
}

fn is_count(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn sign_order(sign: &str) -> SortOrder {
    if sign == "-" {
        SortOrder::Descending
    } else {
        SortOrder::Ascending
    }
}

/// The names of the named groups `(?<name>…)` and `(?P<name>…)` of a
/// regular expression, in order (look-behinds `(?<=` / `(?<!` skipped).
pub(crate) fn named_groups(pattern: &str) -> Vec<String> {
    let mut groups = Vec::new();
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'(' if bytes[i..].starts_with(b"(?<") || bytes[i..].starts_with(b"(?P<") => {
                let name_start = i + if bytes[i + 2] == b'P' { 4 } else { 3 };
                let name_len = bytes[name_start..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                if name_len > 0 && bytes.get(name_start + name_len) == Some(&b'>') {
                    groups.push(pattern[name_start..name_start + name_len].to_owned());
                }
                i = name_start + name_len;
            }
            _ => i += 1,
        }
    }
    groups
}
