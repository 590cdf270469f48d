//! The data model views of a batch's events, read as columns: which
//! events are in a root dataset (and through which normalization map), and
//! the value of each view field over the batch, computed when a search
//! first reads it. A view row is built only where a search needs a whole
//! row; every field a `tstats` filters, groups or aggregates on is read
//! from its column.

use std::borrow::Cow;
use std::rc::Rc;

use serde_json::Value as Json;

use super::datamodel::{DataModels, FieldSlots, INTERNAL_FIELDS, Source, in_form};
use super::expr::{CExpr, ExprEnv};
use super::fields;
use super::value::{Event, json_number};

/// Where an event's view comes from: [`IN_FORM`], [`OUTSIDE`], or the
/// position of its normalization map in [`ViewTable::sources`].
type Kind = u32;

/// The event is already in the data model's form: it is its own view.
const IN_FORM: Kind = u32::MAX;
/// The event is not in the dataset.
const OUTSIDE: Kind = u32::MAX - 1;

/// The views of a batch's events in one root dataset.
#[derive(Debug)]
pub(crate) struct ViewTable<'e> {
    events: &'e [Event],
    /// Per event, where its view comes from.
    kinds: Vec<Kind>,
    /// How many events are in the dataset.
    rows: usize,
    /// The positions in [`DataModels`]' maps of the maps into the dataset.
    sources: Vec<usize>,
    /// The columns computed so far, by field name.
    columns: std::cell::RefCell<foldhash::HashMap<String, Rc<ViewColumn<'e>>>>,
    /// Each row's time as a result row holds it, computed on first use.
    times: std::cell::OnceCell<Vec<Option<Json>>>,
}

impl<'e> ViewTable<'e> {
    /// The views of `events` in `model`'s root dataset `root`, as
    /// [`DataModels::view`] gives each: the event itself when in the data
    /// model's form (`dotted` says which events have a dotted name), else
    /// through the first normalization map whose `when` holds. `find`
    /// gives the events a map's prefilter admits.
    pub(crate) fn new(
        models: &DataModels,
        model: &str,
        root: &str,
        events: &'e [Event],
        dotted: &[bool],
        slots: &FieldSlots,
        find: impl Fn(&super::prefilter::Prefilter) -> Vec<usize>,
    ) -> ViewTable<'e> {
        let mut kinds: Vec<Kind> = events
            .iter()
            .zip(dotted)
            .map(|(e, &dotted)| {
                if dotted && in_form(root, e) {
                    IN_FORM
                } else {
                    OUTSIDE
                }
            })
            .collect();
        let sources: Vec<usize> = models
            .sources
            .iter()
            .enumerate()
            .filter(|(_, s)| s.model == model && s.root == root)
            .map(|(i, _)| i)
            .collect();
        for (position, &s) in sources.iter().enumerate() {
            let source = &models.sources[s];
            let ids: Vec<usize> = match &source.prefilter {
                Some(prefilter) => find(prefilter),
                None => (0..events.len()).collect(),
            };
            let when = source.when.bind(slots);
            let kind = Kind::try_from(position).unwrap_or(OUTSIDE);
            for id in ids {
                if kinds[id] == OUTSIDE && when.eval(&events[id], id, &mut None) {
                    kinds[id] = kind;
                }
            }
        }
        let rows = kinds.iter().filter(|&&kind| kind != OUTSIDE).count();
        ViewTable {
            events,
            kinds,
            rows,
            sources,
            columns: std::cell::RefCell::default(),
            times: std::cell::OnceCell::new(),
        }
    }

    /// The number of rows: one per event of the batch.
    pub(crate) fn len(&self) -> usize {
        self.kinds.len()
    }

    /// How many events are in the dataset.
    pub(crate) fn dataset_rows(&self) -> usize {
        self.rows
    }

    /// Whether event `id` is in the dataset.
    pub(crate) fn contains(&self, id: usize) -> bool {
        self.kinds[id] != OUTSIDE
    }

    /// The normalization map of event `id`'s view (`None` for an event
    /// in the data model's form or outside the dataset).
    fn source<'m>(&self, models: &'m DataModels, id: usize) -> Option<&'m Source> {
        let position = usize::try_from(self.kinds[id]).ok()?;
        models.sources.get(*self.sources.get(position)?)
    }

    /// The value of `field` in each view row (as [`fields::get`] reads it
    /// on the row [`DataModels::view`] gives), computed once.
    pub(crate) fn column(
        &self,
        models: &DataModels,
        slots: &FieldSlots,
        field: &str,
    ) -> Rc<ViewColumn<'e>> {
        if let Some(column) = self.columns.borrow().get(field) {
            return column.clone();
        }
        let column = Rc::new(self.build_column(models, slots, field));
        self.columns
            .borrow_mut()
            .insert(field.to_owned(), column.clone());
        column
    }

    fn build_column(&self, models: &DataModels, slots: &FieldSlots, field: &str) -> ViewColumn<'e> {
        if self.rows == 0 {
            // No row has a value.
            return ViewColumn {
                cells: Vec::new(),
                owned: Vec::new(),
            };
        }
        let reads: Vec<FieldRead<'_>> = self
            .sources
            .iter()
            .map(|&s| FieldRead::new(&models.sources[s], field, slots))
            .collect();
        // A field computed as an earlier field of its map is copied from
        // that field's column.
        let copied: Vec<Option<Rc<ViewColumn<'e>>>> = reads
            .iter()
            .map(|read| match read {
                FieldRead::Copy(name) => Some(self.column(models, slots, name)),
                _ => None,
            })
            .collect();
        let own = slots.column(field);
        let env = ExprEnv { now: 0 };
        let mut column = ViewColumn {
            cells: Vec::with_capacity(self.kinds.len()),
            owned: Vec::new(),
        };
        // An expression of one field (`replace(Image, …)`) has one value
        // per value of that field: it is computed once per distinct text,
        // and the rows with that text share the result.
        let mut memos: Vec<Option<Memo<'_, 'e>>> =
            reads.iter().map(|read| Memo::of(read, slots)).collect();
        // A copied column's computed values stay shared: each is copied
        // once, at its first row.
        let mut shared_copies: Vec<Vec<Option<Cell<'e>>>> = copied
            .iter()
            .map(|from| vec![None; from.as_ref().map_or(0, |c| c.owned.len())])
            .collect();
        for (id, (&kind, event)) in self.kinds.iter().zip(self.events).enumerate() {
            let cell = match kind {
                OUTSIDE => Cell::Missing,
                IN_FORM => own.get(event, id).map_or(Cell::Missing, Cell::Event),
                position => {
                    let position = position as usize;
                    if let Some(memo) = &mut memos[position]
                        && let Some(cell) = memo.cell(event, id, &env, &mut column)
                    {
                        column.cells.push(cell);
                        continue;
                    }
                    if let Some(from) = &copied[position] {
                        let cell = column.copy_cell(from, id, &mut shared_copies[position]);
                        column.cells.push(cell);
                        continue;
                    }
                    match reads[position].read(event, id, &env) {
                        None => Cell::Missing,
                        Some(Cow::Borrowed(json)) => Cell::Event(json),
                        Some(Cow::Owned(json)) => column.own(json),
                    }
                }
            };
            column.cells.push(cell);
        }
        column
    }

    /// The `_time` of view row `id` as a result row holds it
    /// (`exec::row_time` of the row), computed once per batch.
    pub(crate) fn row_time(&self, id: usize) -> Option<&Json> {
        let times = self.times.get_or_init(|| {
            self.kinds
                .iter()
                .zip(self.events)
                .map(|(&kind, event)| match kind {
                    OUTSIDE => None,
                    IN_FORM => super::exec::row_time(event),
                    _ => fields::event_time(event).map(json_number),
                })
                .collect()
        });
        times.get(id)?.as_ref()
    }

    /// The whole view row of event `id` (`None` outside the dataset), as
    /// [`DataModels::view`] gives it.
    pub(crate) fn row(&self, models: &DataModels, id: usize) -> Option<Cow<'e, Event>> {
        let event = &self.events[id];
        match self.kinds[id] {
            OUTSIDE => None,
            IN_FORM => Some(Cow::Borrowed(event)),
            _ => {
                let source = self.source(models, id)?;
                Some(Cow::Owned(super::datamodel::normalized(source, event)))
            }
        }
    }
}

/// One field of a normalization map's view rows, read from the raw
/// event as the map computes it.
enum FieldRead<'s> {
    /// `_time`: the event's time as a number.
    Time,
    /// An internal field (`host`), copied from the event.
    Internal(super::datamodel::SlotColumn<'s>),
    /// A map field that is a plain field of the event.
    Plain(super::datamodel::SlotColumn<'s>),
    /// A map field computed by an expression.
    Computed(&'s CExpr),
    /// A map field with the same expression as the earlier field named.
    Copy(&'s str),
    /// A dotted path into an internal field (`host.name`).
    Nested {
        internal: super::datamodel::SlotColumn<'s>,
        path: &'s str,
    },
    /// A field the rows do not have.
    Missing,
}

impl<'s> FieldRead<'s> {
    fn new(source: &'s Source, field: &'s str, slots: &'s FieldSlots) -> FieldRead<'s> {
        if field == "_time" {
            return FieldRead::Time;
        }
        if INTERNAL_FIELDS.contains(&field) {
            return FieldRead::Internal(slots.column(field));
        }
        if let Some(i) = source.fields.iter().position(|(name, _)| name == field) {
            // A field with the same expression as an earlier one copies
            // its value.
            let j = source.same_as[i].unwrap_or(i);
            return match &source.fields[j].1 {
                CExpr::Field(name) => FieldRead::Plain(slots.column(name)),
                _ if j != i => FieldRead::Copy(&source.fields[j].0),
                e => FieldRead::Computed(e),
            };
        }
        match field.split_once('.') {
            Some((first, path)) => match INTERNAL_FIELDS.iter().find(|name| **name == first) {
                Some(name) => FieldRead::Nested {
                    internal: slots.column(name),
                    path,
                },
                None => FieldRead::Missing,
            },
            None => FieldRead::Missing,
        }
    }

    /// The field in the view row of `event`, event `id` of the slots.
    fn read<'e>(&self, event: &'e Event, id: usize, env: &ExprEnv) -> Option<Cow<'e, Json>> {
        match self {
            FieldRead::Time => fields::event_time(event)
                .map(json_number)
                .filter(|t| !t.is_null())
                .map(Cow::Owned),
            FieldRead::Internal(column) => column
                .entry(event, id)
                .filter(|v| !v.is_null())
                .map(Cow::Borrowed),
            FieldRead::Plain(column) => match column.get(event, id) {
                Some(json @ Json::String(_)) => Some(Cow::Borrowed(json)),
                json => super::datamodel::plain_value(json).map(Cow::Owned),
            },
            FieldRead::Computed(e) => e.eval(event, env).to_json().map(Cow::Owned),
            FieldRead::Nested { internal, path } => {
                let mut current = internal.entry(event, id)?;
                for part in path.split('.') {
                    current = current.as_object()?.get(part)?;
                }
                (!current.is_null()).then_some(Cow::Borrowed(current))
            }
            FieldRead::Copy(_) | FieldRead::Missing => None,
        }
    }
}

/// The values a map's expression of one field took, by that field's
/// text: the expression's value depends on nothing else.
struct Memo<'s, 'e> {
    expr: &'s CExpr,
    /// Where the events hold the field the expression reads (`None`
    /// for an expression that reads no field: one value for every row).
    input: Option<super::datamodel::SlotColumn<'s>>,
    /// The cell of the value computed for each text of the field.
    by_text: foldhash::HashMap<&'e str, Cell<'e>>,
    /// The cell of the value computed for an event without the field.
    without: Option<Cell<'e>>,
}

impl<'s, 'e> Memo<'s, 'e> {
    /// The memo of a computed field whose expression reads one field or
    /// none.
    fn of(read: &FieldRead<'s>, slots: &'s FieldSlots) -> Option<Memo<'s, 'e>> {
        let FieldRead::Computed(expr) = read else {
            return None;
        };
        let mut names: Vec<&'s str> = Vec::new();
        expr.for_each_field(&mut |name| names.push(name));
        names.dedup();
        let input = match names.as_slice() {
            [] => None,
            [name] => Some(slots.column(name)),
            _ => return None,
        };
        Some(Memo {
            expr,
            input,
            by_text: foldhash::HashMap::default(),
            without: None,
        })
    }

    /// The cell of event `id`'s value, computed on the first event with
    /// its text; `None` when the field holds something other than one
    /// string (the caller computes it).
    fn cell(
        &mut self,
        event: &'e Event,
        id: usize,
        env: &ExprEnv,
        column: &mut ViewColumn<'e>,
    ) -> Option<Cell<'e>> {
        let compute = |column: &mut ViewColumn<'e>| match self.expr.eval(event, env).to_json() {
            Some(json) => column.own(json),
            None => Cell::Missing,
        };
        match self.input.and_then(|input| input.get(event, id)) {
            None => Some(*self.without.get_or_insert_with(|| compute(column))),
            Some(Json::String(text)) => Some(
                *self
                    .by_text
                    .entry(text.as_str())
                    .or_insert_with(|| compute(column)),
            ),
            Some(_) => None,
        }
    }
}

/// The value of one field in every view row of a batch.
#[derive(Debug)]
pub(crate) struct ViewColumn<'e> {
    cells: Vec<Cell<'e>>,
    /// The values computed for the rows (not found in their events).
    owned: Vec<Json>,
}

/// Where a row's value of a [`ViewColumn`] is.
#[derive(Debug, Clone, Copy)]
enum Cell<'e> {
    Missing,
    /// In the event.
    Event(&'e Json),
    /// At this position of [`ViewColumn::owned`].
    Owned(usize),
}

impl<'e> ViewColumn<'e> {
    fn own(&mut self, json: Json) -> Cell<'e> {
        self.owned.push(json);
        Cell::Owned(self.owned.len() - 1)
    }

    /// The cell of row `id` of `from`, copied into this column: a value
    /// `from` computed is copied once, and `copied` (by its place in
    /// `from`) keeps the cell of each copy made.
    fn copy_cell(
        &mut self,
        from: &ViewColumn<'e>,
        id: usize,
        copied: &mut [Option<Cell<'e>>],
    ) -> Cell<'e> {
        let cell = from.cells.get(id).copied().unwrap_or(Cell::Missing);
        let Cell::Owned(at) = cell else {
            return cell;
        };
        if let Some(cell) = copied.get(at).copied().flatten() {
            return cell;
        }
        let cell = from
            .owned
            .get(at)
            .cloned()
            .map_or(Cell::Missing, |json| self.own(json));
        if let Some(slot) = copied.get_mut(at) {
            *slot = Some(cell);
        }
        cell
    }

    /// The value of row `id` (`None` when the row lacks it or is null).
    pub(crate) fn get(&self, id: usize) -> Option<&Json> {
        match self.cells.get(id)? {
            Cell::Missing => None,
            Cell::Event(json) => Some(json),
            Cell::Owned(position) => self.owned.get(*position),
        }
    }

    /// The value of each row, with its share where the column computed it:
    /// rows with the same share (a number below [`ViewColumn::shares`])
    /// have the same value.
    pub(crate) fn shared_values(&self) -> impl Iterator<Item = (Option<&Json>, Option<usize>)> {
        self.cells.iter().map(|cell| match cell {
            Cell::Missing => (None, None),
            Cell::Event(json) => (Some(*json), None),
            Cell::Owned(position) => (self.owned.get(*position), Some(*position)),
        })
    }

    /// How many shares [`ViewColumn::shared_values`] gives at most.
    pub(crate) fn shares(&self) -> usize {
        self.owned.len()
    }
}
