//! The CPU budget of one render (see [`fake_servicer_core::budget`]): a
//! deadline the renderer checks as it goes
//! — at every write, every JSONPath match, and at the start of every pass
//! through a block (`{{#each}}` over nothing still passes), so a template
//! whose loops multiply stops at the deadline instead of running on after
//! its client has gone.

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
    Template,
};

pub use fake_servicer_core::budget::check;

/// The name of the check put at the start of every block.
const CHECK: &str = "__fake_servicer_budget";

/// The helper [`guard`] calls at the start of each block.
pub struct Check;

impl HelperDef for Check {
    fn call<'reg: 'rc, 'rc>(
        &self,
        _: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        _: &mut dyn Output,
    ) -> HelperResult {
        check().map_err(|e| RenderErrorReason::Other(e).into())
    }
}

/// Registers [`Check`] on `r`.
pub fn register(r: &mut Handlebars) {
    r.register_helper(CHECK, Box::new(Check));
}

/// Puts a budget check at the start of every block of `t` (and of its
/// `{{else}}`), at any depth.
pub fn guard(t: &mut Template) {
    use handlebars::template::TemplateElement;
    let Ok(call) = Template::compile(&format!("{{{{{CHECK}}}}}")) else {
        return;
    };
    let Some(check) = call.elements.into_iter().next() else {
        return;
    };
    fn walk(t: &mut Template, check: &TemplateElement) {
        for e in &mut t.elements {
            if let TemplateElement::HelperBlock(h) = e {
                for inner in [&mut h.template, &mut h.inverse].into_iter().flatten() {
                    walk(inner, check);
                    inner.elements.insert(0, check.clone());
                    // Line and column of each element, when kept: the
                    // check takes the block's first.
                    if let Some(first) = inner.mapping.first().cloned() {
                        inner.mapping.insert(0, first);
                    }
                }
            }
        }
    }
    walk(t, &check);
}
