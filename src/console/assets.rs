//! The console's one stylesheet, served by the binary under an address that names its
//! content, so browsers may keep it for a year and a new release is fetched at once.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

pub const STYLESHEET: &str = include_str!("../../static/console.css");

static STYLESHEET_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = hex::encode(Sha256::digest(STYLESHEET.as_bytes()));
    format!("/assets/console.{}.css", &digest[..16])
});

/// Where the stylesheet is served: `/assets/console.<hash>.css`.
pub fn stylesheet_path() -> &'static str {
    &STYLESHEET_PATH
}

/// The stylesheet, if the address names this release's.
pub async fn stylesheet(name: web::Path<String>) -> HttpResponse {
    if format!("/assets/{name}") != stylesheet_path() {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(STYLESHEET)
}
