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
    "email/password_reset.txt",
    "email/password_reset.html",
    "console/layout.html",
    "console/macros.html",
    "console/message.html",
    "console/sign_in.html",
    "console/account.html",
    "console/home.html",
    // Accounts: passwords, sessions, invites.
    "console/forgot_password.html",
    "console/reset_password.html",
    "console/invite.html",
    // requests, sponsees, check-ins, links
    "console/requests.html",
    "console/request.html",
    "console/request_summary.html",
    "console/sponsees.html",
    "console/check_ins.html",
    "console/respond.html",
    "console/check_in.html",
    "console/link_gone.html",
    "console/link_done.html",
    // profile
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
    env.add_function("language_name", language_name);
    env.add_filter("local_time", local_time);
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

/// `label("kind", code)`: a code's words (`label("fellowship", "aa")`); nothing for no
/// code.
fn label(state: &State<'_, '_>, kind: &str, code: Option<&str>) -> String {
    code.map(|code| catalogue(&language(state)).get(&label_key(kind, code), &[]))
        .unwrap_or_default()
}

/// `language_name("es")`: a language's name in English, else its code.
fn language_name(code: &str) -> String {
    isolang::Language::from_639_1(code)
        .map(|language| language.to_name().to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// `{{ at | local_time(zone) }}`: an RFC 3339 time as the viewer's clock shows it, with
/// the zone's abbreviation ("Tuesday 8 December 2026, 18:00 EST"); UTC when the zone is
/// not one chrono-tz knows.
fn local_time(at: &str, zone: Option<&str>) -> String {
    let Ok(at) = chrono::DateTime::parse_from_rfc3339(at) else {
        return at.to_owned();
    };
    let zone: chrono_tz::Tz = zone.and_then(|z| z.parse().ok()).unwrap_or(chrono_tz::UTC);
    at.with_timezone(&zone)
        .format("%A %-d %B %Y, %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Keys a template names literally: `t("key"` and `t('key'`.
    fn keys_in(source: &str) -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        for quote in ['"', '\''] {
            let opening = format!("t({quote}");
            let mut rest = source;
            while let Some(at) = rest.find(&opening) {
                let after = &rest[at + opening.len()..];
                let before = rest[..at].chars().last();
                if let Some(end) = after.find(quote)
                    && !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                {
                    keys.insert(after[..end].to_owned());
                }
                rest = after;
            }
        }
        keys
    }

    #[test]
    fn every_template_renders() {
        // What the pages that name words by a variable are given; every other variable
        // may be missing, and so may what it holds (each page is rendered whole, with
        // real values, by the console's integration tests).
        let context = minijinja::context! {
            lang => "en",
            title_key => "error-internal-title",
            message_key => "error-internal",
            words => "error-internal",
            answer => "going_well",
            party => "seeker",
        };
        let mut env = ENVIRONMENT.clone();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        let mut failed = Vec::new();
        for (name, _) in TEMPLATES {
            if let Err(error) = env.get_template(name).and_then(|t| t.render(&context)) {
                failed.push(format!("{name}: {error:#}"));
            }
        }
        assert!(failed.is_empty(), "{failed:#?}");
    }

    #[test]
    fn every_key_a_template_names_is_in_every_catalogue() {
        for (lang, _) in words::LANGUAGES {
            let catalogue = catalogue(lang);
            for (name, source) in TEMPLATES {
                for key in keys_in(source) {
                    assert!(catalogue.has(&key), "{lang}: {name} names {key}");
                }
            }
        }
    }

    /// The console's handlers name catalogue keys as literals (notes, errors, refusals,
    /// the page a navigation link marks): each must be in the catalogue.
    #[test]
    fn every_key_the_console_names_is_in_the_catalogue() {
        let sources = [
            include_str!("../console/error.rs"),
            include_str!("../console/sign_in.rs"),
            include_str!("../console/home.rs"),
            include_str!("../console/account.rs"),
            include_str!("../console/sponsoring.rs"),
            include_str!("../console/links.rs"),
            include_str!("../console/password.rs"),
            include_str!("../console/invite.rs"),
            include_str!("../console/profile.rs"),
        ];
        let catalogue = catalogue("en");
        // Literals may also name an element a form error links to.
        let ids: BTreeSet<&str> = TEMPLATES
            .iter()
            .flat_map(|(_, source)| source.split("id=\"").skip(1))
            .filter_map(|rest| rest.split('"').next())
            .collect();
        for source in sources {
            for literal in source.split('"').skip(1).step_by(2) {
                let looks_like_key = literal.contains('-')
                    && literal.starts_with(|c: char| c.is_ascii_lowercase())
                    && literal
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if looks_like_key && literal != "no-referrer" && !ids.contains(literal) {
                    assert!(catalogue.has(literal), "the console names {literal}");
                }
            }
        }
    }

    #[test]
    fn links_keep_their_slashes_and_markup_is_escaped() {
        let mut env = Environment::new();
        env.set_formatter(escape_html_but_not_slashes);
        env.add_template("t.html", "<a href=\"{{ url }}\">{{ text }}</a>")
            .unwrap();
        let html = env
            .get_template("t.html")
            .unwrap()
            .render(minijinja::context! {
                url => "https://example.org/respond/abc?x=1&y=2",
                text => "<b>\"Jo\" & 'Sam'</b>",
            })
            .unwrap();
        assert_eq!(
            html,
            "<a href=\"https://example.org/respond/abc?x=1&amp;y=2\">&lt;b&gt;&quot;Jo&quot; &amp; &#39;Sam&#39;&lt;/b&gt;</a>"
        );
    }

    #[test]
    fn times_are_shown_on_the_viewers_clock_with_the_zone() {
        assert_eq!(
            local_time("2026-12-08T23:00:00Z", Some("America/New_York")),
            "Tuesday 8 December 2026, 18:00 EST"
        );
        assert_eq!(
            local_time("2026-07-08T23:00:00Z", Some("Not/AZone")),
            "Wednesday 8 July 2026, 23:00 UTC"
        );
    }
}
