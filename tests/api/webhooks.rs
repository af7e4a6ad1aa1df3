//! Webhooks over real HTTP: a receiver on loopback gets every step of a program's
//! matches, signed, retried through failures, and nothing private.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, expect_json, expect_problem};
use crate::journey::{accept, consenting_seeker, program, propose_to, step};

/// One delivery as the receiver got it.
#[derive(Debug, Clone)]
struct Delivery {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

#[derive(Default)]
struct Receiver {
    deliveries: Mutex<Vec<Delivery>>,
    /// Answers 500 to this many deliveries first.
    failures_left: AtomicUsize,
}

async fn receive(req: HttpRequest, body: String, receiver: web::Data<Receiver>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    receiver.deliveries.lock().unwrap().push(Delivery {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
    });
    let failing = receiver
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        HttpResponse::InternalServerError().finish()
    } else {
        HttpResponse::NoContent().finish()
    }
}

/// A portal's endpoint on a free port; its URL.
fn start_receiver(receiver: Arc<Receiver>) -> String {
    let data = web::Data::from(receiver);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/hooks", web::post().to(receive))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    format!("http://127.0.0.1:{port}/hooks")
}

/// What a portal does with each delivery: recompute the signature independently.
fn verified(secret: &str, delivery: &Delivery) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{}.{}", delivery.timestamp, delivery.body).as_bytes());
    let expected = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
    expected == delivery.signature
}

#[tokio::test]
async fn every_step_reaches_the_portal_signed_and_retried_until_delivered() {
    let receiver = Arc::new(Receiver::default());
    receiver.failures_left.store(2, Ordering::SeqCst);
    let url = start_receiver(receiver.clone());
    let app = TestApp::builder()
        .with(|s| {
            s.outbox.poll_interval_ms = 50;
            s.outbox.retry_base_seconds = 1;
            s.outbox.retry_max_seconds = 1;
        })
        .spawn()
        .await;
    let p = program(&app).await;

    let refused = app
        .put(
            "/api/v1/webhook",
            &p.admin,
            &json!({ "url": "http://portal.example.org/hooks" }),
        )
        .send()
        .await
        .unwrap();
    let problem = expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["errors"][0]["field"], "url");
    let set = app
        .put("/api/v1/webhook", &p.admin, &json!({ "url": url }))
        .send()
        .await
        .unwrap();
    let set = expect_json(set, StatusCode::OK).await;
    let secret = set["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let shown = expect_json(
        app.get("/api/v1/webhook", &p.admin).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(shown["url"], url.as_str());
    assert!(shown.get("secret").is_none(), "the secret is shown once");

    let sponsor = app.add_sponsor(&p.admin, |_| {}).await;
    let seeker = consenting_seeker(&app, &p.portal).await;
    let proposed = propose_to(&app, &p.portal, &seeker, &sponsor).await;
    let id = proposed["id"].as_str().unwrap().to_owned();
    expect_json(
        step(&app, &sponsor, &id, "sponsor-accept", accept()).await,
        StatusCode::OK,
    )
    .await;

    // propose, submit, sponsor_accept: three events, the first two failed once each.
    let deadline = Instant::now() + Duration::from_secs(30);
    let delivered = loop {
        let all = receiver.deliveries.lock().unwrap().clone();
        let ok: Vec<Delivery> = all.iter().skip(2).cloned().collect();
        if ok.len() >= 3 {
            break all;
        }
        assert!(Instant::now() < deadline, "deliveries so far: {all:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        delivered.iter().all(|d| verified(&secret, d)),
        "{delivered:?}"
    );
    assert!(!delivered.iter().any(|d| verified("whsec_other", d)));
    let events: Vec<Value> = delivered[2..]
        .iter()
        .map(|d| serde_json::from_str(&d.body).unwrap())
        .collect();
    let mut actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.sort();
    assert_eq!(actions, ["propose", "sponsor_accept", "submit"]);
    for event in &events {
        assert_eq!(event["event"], "match.step");
        assert_eq!(event["match_id"], id.as_str());
        assert_eq!(event["seeker_id"], seeker.as_str());
    }
    // A retry is the same delivery: same id, so the portal can drop repeats.
    let retried: Vec<&str> = delivered[..2].iter().map(|d| d.id.as_str()).collect();
    for id in retried {
        assert_eq!(delivered.iter().filter(|d| d.id == id).count(), 2);
    }
    for delivery in &delivered {
        for private in ["Jo", "jo@example.org", "supports_mat", "41.88"] {
            assert!(
                !delivery.body.contains(private),
                "{private} in {}",
                delivery.body
            );
        }
    }

    // Removed: nothing more is queued.
    let removed = app
        .request(reqwest::Method::DELETE, "/api/v1/webhook")
        .bearer_auth(&p.admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let count = receiver.deliveries.lock().unwrap().len();
    expect_json(
        step(&app, &p.portal, &id, "seeker-accept", json!({})).await,
        StatusCode::OK,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.deliveries.lock().unwrap().len(), count);
    let gone = app.get("/api/v1/webhook", &p.admin).send().await.unwrap();
    expect_problem(gone, StatusCode::NOT_FOUND).await;
}
