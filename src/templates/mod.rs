//! The one template environment: emails (`templates/email/`) and pages
//! (`templates/console/`), with the catalogue of words (`templates/words/`). Every
//! template is compiled into the binary and loaded when first used; a test renders
//! each one.

pub mod words;

use std::sync::LazyLock;

use minijinja::value::Kwargs;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, Value};

pub use words::{catalogue, label_key};

/// `(name, source)` of every template, named by its path under `templates/`.
macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        pub const TEMPLATES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../templates/", $name)))),*
        ];
    };
}

templates! {
    "email/layout.html",
    "email/sponsor_request.txt",
    "email/sponsor_request.html",
    "email/introduction.txt",
    "email/introduction.html",
    "email/check_in.txt",
    "email/check_in.html",
    "email/notice.txt",
    "email/notice.html",
    "email/sponsor_invite.txt",
    "email/sponsor_invite.html",
    "console/layout.html",
    "console/macros.html",
    "console/message.html",
    "console/sign_in.html",
    "console/account.html",
    "console/home.html",
    "console/profile.html",
}

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // HTML templates escape what they insert; text templates take it as it is.
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_formatter(escape_html_but_not_slashes);
    env.add_function("t", translate);
    env.add_function("label", label);
    for (name, source) in TEMPLATES {
        if let Err(error) = env.add_template(name, source) {
            // The templates are part of the binary; a broken one fails every test.
            panic!("template {name}: {error}");
        }
    }
    env
});

/// Renders the template `name` (its path under `templates/`).
pub fn render(name: &str, context: &Value) -> Result<String, Error> {
    ENVIRONMENT.get_template(name)?.render(context)
}

/// minijinja's HTML escaping also writes `/` as `&#x2f;`, which some mail tools and link
/// scanners mangle inside addresses; the five characters HTML needs are enough.
fn escape_html_but_not_slashes(
    out: &mut minijinja::Output<'_>,
    state: &State<'_, '_>,
    value: &Value,
) -> Result<(), Error> {
    if state.auto_escape() == AutoEscape::None
        || value.is_safe()
        || value.is_undefined()
        || value.is_none()
    {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    out.write_str(&escaped)
        .map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()))
}

/// The language of the page or message being rendered: its `lang` variable.
fn language(state: &State<'_, '_>) -> String {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "en".to_owned())
}

/// `t("key", name=value, ...)`: the catalogue's words for `key`.
fn translate(state: &State<'_, '_>, key: &str, kwargs: Kwargs) -> Result<String, Error> {
    let mut args = Vec::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        let value = match value.as_i64() {
            Some(number) => fluent_bundle::FluentValue::from(number),
            None => fluent_bundle::FluentValue::from(value.to_string()),
        };
        args.push((name, value));
    }
    Ok(catalogue(&language(state)).get(key, &args))
}

/// `label("kind", code)`: a code's words (`label("fellowship", "aa")`).
fn label(state: &State<'_, '_>, kind: &str, code: &str) -> String {
    catalogue(&language(state)).get(&label_key(kind, code), &[])
}
