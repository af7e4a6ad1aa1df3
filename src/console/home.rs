//! The first page after signing in.

use actix_web::{HttpResponse, web};

use super::error::ConsoleError;
use super::page::page;
use super::session::{People, SignedIn};
use crate::app::AppState;
use crate::service;

pub async fn show(
    state: web::Data<AppState>,
    signed_in: SignedIn<People>,
) -> Result<HttpResponse, ConsoleError> {
    let me = service::accounts::me(&state.db, signed_in.actor.principal).await?;
    let name = me.user.map(|u| u.display_name).unwrap_or_default();
    Ok(page(
        &signed_in.visitor,
        "console/home.html",
        minijinja::context! { nav => "nav-home", name, program => me.program.name },
    ))
}
