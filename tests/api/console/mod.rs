//! The console over real HTTP, as a browser without script would use it: cookies,
//! form posts with their CSRF token, redirects seen rather than followed. The browser
//! journeys (real Chromium) are in `browser`.

mod accounts;
mod authorization;
mod browser;
mod profile;
mod sign_in;
mod sponsoring;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};

use crate::helpers::{Caller, TestApp};

/// A browser's view of the console: one cookie jar of one person (or nobody yet).
pub struct Browserless<'a> {
    pub app: &'a TestApp,
    client: reqwest::Client,
    /// `name=value` of each cookie the service set, newest last.
    pub cookies: Vec<(String, String)>,
}

/// A page as the browser got it.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub html: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    /// The CSRF token of the page's first form.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.html.find(marker).expect("a form with a CSRF token") + marker.len();
        let end = self.html[start..].find('"').expect("end of the token") + start;
        self.html[start..end].to_owned()
    }
}

impl<'a> Browserless<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("client");
        Self {
            app,
            client,
            cookies: Vec::new(),
        }
    }

    /// Signed in with an API session's token: the console takes the same sessions.
    pub fn signed_in(app: &'a TestApp, caller: &Caller) -> Self {
        let mut browser = Self::new(app);
        browser
            .cookies
            .push(("sm_session".into(), caller.token.clone()));
        browser
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&mut self, response: Response) -> Page {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().expect("cookie");
            let pair = text.split(';').next().expect("name=value");
            let (name, value) = pair.split_once('=').expect("name=value");
            self.cookies.retain(|(n, _)| n != name);
            if !text.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        Page {
            status: response.status(),
            location: response
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().expect("location").to_owned()),
            headers: response.headers().clone(),
            html: response.text().await.expect("body"),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.app.address))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.read(response).await
    }

    /// Posts `fields` as a form, exactly as given (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.app.address))
            .header(COOKIE, self.cookie_header())
            .form(fields)
            .send()
            .await
            .expect("POST");
        self.read(response).await
    }

    /// Posts `fields` with the CSRF token of the form on the page at `from`.
    pub async fn submit(&mut self, from: &str, to: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(from).await.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(to, &all).await
    }
}
