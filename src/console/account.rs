//! A person's own account: who they are signed in as.

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
    let user = me.user.ok_or(ConsoleError::Forbidden)?;
    Ok(page(
        &signed_in.visitor,
        "console/account.html",
        minijinja::context! {
            nav => "nav-account",
            name => user.display_name,
            email => user.email,
            account_role => <&'static str>::from(user.role),
            program => me.program.name,
        },
    ))
}
