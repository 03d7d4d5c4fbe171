//! The production adapters over the wire, against moto's server (real AWS protocols): the
//! DynamoDB cache's conditional writes and TTL attribute, and SQS publishing, receiving,
//! deleting, redrive to the dead-letter queue and parking.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use oms::adapters::dynamodb_cache::DynamoDbCache;
use oms::adapters::sqs::{SqsDeadLetters, SqsPublisher};
use oms::domain::events::ChangeEvent;
use oms::ports::cache::Cache;
use oms::ports::events::{DeadLetters, EventPublisher};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

async fn table(client: &aws_sdk_dynamodb::Client) -> String {
    let name = format!("oms-cache-{}", Uuid::new_v4().simple());
    oms_tests::create_cache_table(client, &name).await;
    name
}

#[tokio::test]
async fn the_dynamodb_cache_refuses_older_versions_and_honours_invalidation() {
    let config = oms_tests::moto_config().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let name = table(&client).await;
    let cache = DynamoDbCache::new(client.clone(), &name);
    let key = "opportunity:7d3c";
    assert!(cache.get(key).await.unwrap().is_none());
    assert!(cache.put(key, 2, "{\"v\":2}", Duration::minutes(5)).await.unwrap());
    assert!(
        !cache.put(key, 1, "{\"v\":1}", Duration::minutes(5)).await.unwrap(),
        "an older version was written over a newer one"
    );
    assert!(
        !cache
            .put(key, 2, "{\"v\":\"again\"}", Duration::minutes(5))
            .await
            .unwrap()
    );
    let entry = cache.get(key).await.unwrap().unwrap();
    assert_eq!((entry.version, entry.body.as_str()), (2, "{\"v\":2}"));

    let item = client
        .get_item()
        .table_name(&name)
        .key("pk", AttributeValue::S(key.into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let expires_at: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    let expected = OffsetDateTime::now_utc().unix_timestamp() + 300;
    assert!(
        (expected - 5..=expected + 1).contains(&expires_at),
        "TTL attribute {expires_at} is not about five minutes ahead"
    );

    cache.invalidate(key, 3).await.unwrap();
    assert!(
        cache.get(key).await.unwrap().is_none(),
        "an invalidated entry is a miss"
    );
    assert!(
        !cache.put(key, 2, "{\"v\":2}", Duration::minutes(5)).await.unwrap(),
        "a slow reader undid the invalidation"
    );
    assert!(cache.put(key, 3, "{\"v\":3}", Duration::minutes(5)).await.unwrap());
    assert_eq!(cache.get(key).await.unwrap().unwrap().version, 3);

    // An expired item is a miss even before DynamoDB's TTL sweep removes it, and is replaceable.
    assert!(cache.put("expired", 9, "{}", Duration::seconds(-10)).await.unwrap());
    assert!(cache.get("expired").await.unwrap().is_none());
    assert!(cache.put("expired", 1, "{}", Duration::minutes(1)).await.unwrap());
}

#[tokio::test]
async fn a_missing_table_is_an_error_the_handlers_can_degrade_on() {
    let config = oms_tests::moto_config().await;
    let cache = DynamoDbCache::new(aws_sdk_dynamodb::Client::new(&config), "no-such-table");
    assert!(cache.get("k").await.is_err());
    assert!(cache.put("k", 1, "{}", Duration::minutes(1)).await.is_err());
}

fn event(n: i64) -> ChangeEvent {
    ChangeEvent {
        id: Uuid::now_v7(),
        event_type: oms::domain::events::ChangeKind::OpportunityUpdated,
        aggregate_id: Uuid::now_v7(),
        aggregate_version: n,
        occurred_at: OffsetDateTime::now_utc(),
        detail: serde_json::json!({ "n": n }),
    }
}

struct Queues {
    main: String,
    dead: String,
}

async fn queues(client: &aws_sdk_sqs::Client) -> Queues {
    let suffix = Uuid::new_v4().simple().to_string();
    let dead = client
        .create_queue()
        .queue_name(format!("dlq-{suffix}"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let dead_arn = client
        .get_queue_attributes()
        .queue_url(&dead)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let mut attributes = HashMap::new();
    attributes.insert(
        QueueAttributeName::RedrivePolicy,
        format!("{{\"deadLetterTargetArn\":\"{dead_arn}\",\"maxReceiveCount\":\"2\"}}"),
    );
    attributes.insert(QueueAttributeName::VisibilityTimeout, "0".to_owned());
    let main = client
        .create_queue()
        .queue_name(format!("events-{suffix}"))
        .set_attributes(Some(attributes))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    Queues { main, dead }
}

async fn receive(client: &aws_sdk_sqs::Client, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    client
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
}

#[tokio::test]
async fn change_events_go_through_sqs_and_poison_messages_end_in_the_dead_letter_queue() {
    let config = oms_tests::moto_config().await;
    let client = aws_sdk_sqs::Client::new(&config);
    let q = queues(&client).await;
    let publisher = SqsPublisher::new(client.clone(), &q.main);
    let events: Vec<ChangeEvent> = (1..=12).map(event).collect();
    let published = publisher.publish(&events).await.expect("publish");
    assert_eq!(
        published,
        events.iter().map(|e| e.id).collect::<Vec<_>>(),
        "all twelve accepted, in two batches"
    );

    let mut seen = Vec::new();
    while seen.len() < 12 {
        let messages = receive(&client, &q.main).await;
        assert!(!messages.is_empty(), "messages went missing");
        for message in messages {
            let body: ChangeEvent = serde_json::from_str(message.body().unwrap()).expect("a change event");
            assert_eq!(
                message.message_attributes().unwrap()["event_type"].string_value(),
                Some("OpportunityUpdated")
            );
            seen.push(body.id);
            client
                .delete_message()
                .queue_url(&q.main)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    seen.sort();
    let mut expected: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    expected.sort();
    assert_eq!(seen, expected);

    // A message received twice without being deleted moves to the dead-letter queue.
    client
        .send_message()
        .queue_url(&q.main)
        .message_body("poison")
        .send()
        .await
        .unwrap();
    for _ in 0..2 {
        let messages = receive(&client, &q.main).await;
        assert_eq!(messages.len(), 1);
    }
    assert!(
        receive(&client, &q.main).await.is_empty(),
        "the poison message is still in the main queue"
    );
    let dead = receive(&client, &q.dead).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body(), Some("poison"));
}

/// A change event's message carries the trace header of the invocation that published it, so
/// that its consumer joins the request's trace (SQS's `AWSTraceHeader` system attribute). moto
/// drops the system attributes of `SendMessageBatch` entries (it keeps them for `SendMessage`
/// only), so this reads the request the SDK sends instead.
#[tokio::test]
async fn published_change_events_carry_the_publishing_requests_trace_header() {
    use aws_smithy_http_client::test_util::capture_request;
    let answer = http::Response::builder()
        .status(200)
        .header("content-type", "application/x-amz-json-1.0")
        .body(aws_smithy_types::body::SdkBody::from(
            r#"{"Successful":[{"Id":"0","MessageId":"m0","MD5OfMessageBody":"x"},{"Id":"1","MessageId":"m1","MD5OfMessageBody":"y"}],"Failed":[]}"#,
        ))
        .unwrap();
    let (http_client, request) = capture_request(Some(answer));
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .http_client(http_client)
        .build();
    let queue = "https://sqs.eu-west-1.amazonaws.com/123456789012/oms-prod-change-events";
    let publisher = SqsPublisher::new(aws_sdk_sqs::Client::from_conf(config), queue);
    let header = "Root=1-6745c2a0-5f3b9c1d2e4f6a8b0c1d2e3f;Parent=53995c3f42cd8ad8;Sampled=1";
    let info = oms::metrics::InvocationInfo {
        operation: "POST /v1/opportunities/{id}/submit".into(),
        cold_start: false,
        trace_header: Some(header.into()),
    };
    let events = vec![event(1), event(2)];
    let published = oms::metrics::in_invocation(info, async {
        (publisher.publish(&events).await, oms::metrics::Outcome::Success)
    })
    .await
    .expect("publish");
    assert_eq!(published, events.iter().map(|e| e.id).collect::<Vec<_>>());
    let sent = request.expect_request();
    let body: serde_json::Value = serde_json::from_slice(sent.body().bytes().expect("a body")).expect("JSON");
    let entries = body["Entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2);
    for entry in entries {
        assert_eq!(
            entry["MessageSystemAttributes"]["AWSTraceHeader"],
            serde_json::json!({ "DataType": "String", "StringValue": header }),
            "{entry}"
        );
    }
    println!("trace-carrying SQS message: {}", entries[0]);
}

#[tokio::test]
async fn unprocessable_messages_are_parked_with_their_reason() {
    let config = oms_tests::moto_config().await;
    let client = aws_sdk_sqs::Client::new(&config);
    let q = queues(&client).await;
    SqsDeadLetters::new(client.clone(), &q.dead)
        .park("{\"status\":\"bogus\"}", "illegal: cannot Complete a draft")
        .await
        .expect("park");
    let parked = receive(&client, &q.dead).await;
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].body(), Some("{\"status\":\"bogus\"}"));
    assert_eq!(
        parked[0].message_attributes().unwrap()["reason"].string_value(),
        Some("illegal: cannot Complete a draft")
    );
}

#[tokio::test]
async fn the_s3_adapter_presigns_uploads_and_downloads_and_inspects_and_deletes_objects() {
    use oms::adapters::s3_objects::S3ObjectStore;
    use oms::ports::objects::{ObjectStore, UploadTerms};

    let config = oms_tests::moto_config().await;
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("oms-attachments-{}", Uuid::new_v4().simple());
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    let store = S3ObjectStore::new(&client, &bucket, None);
    let key = format!("attachments/{}/{}", Uuid::now_v7(), Uuid::now_v7());
    let body = b"%PDF-1.7 a small but real business document".to_vec();
    let sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&body))
    };
    let terms = UploadTerms {
        content_type: "application/pdf".into(),
        size_bytes: body.len() as i64,
        sha256: Some(sha256.clone()),
    };
    let upload = store
        .presign_upload(&key, &terms, Duration::minutes(15))
        .await
        .expect("presign upload");
    assert_eq!(upload.method, "PUT");
    assert!(upload.url.contains("X-Amz-Signature="), "{}", upload.url);
    assert!(upload.url.contains("X-Amz-Expires=900"), "{}", upload.url);
    assert_eq!(upload.headers["content-type"], "application/pdf");
    assert!(
        upload.headers.contains_key("x-amz-server-side-encryption"),
        "SSE-KMS is requested: {:?}",
        upload.headers
    );
    assert!(store.head(&key).await.unwrap().is_none());

    let http = reqwest::Client::new();
    let mut put = http.put(&upload.url).body(body.clone());
    for (name, value) in &upload.headers {
        if name != "content-length" && name != "host" {
            put = put.header(name, value);
        }
    }
    let response = put.send().await.expect("upload");
    assert!(
        response.status().is_success(),
        "upload refused: {}",
        response.text().await.unwrap_or_default()
    );

    let facts = store.head(&key).await.unwrap().expect("the object exists");
    assert_eq!(facts.size_bytes, body.len() as i64);
    assert_eq!(facts.content_type.as_deref(), Some("application/pdf"));

    // Single use: the URL signs `If-None-Match: *`, so S3 refuses to replace the object. (moto
    // does not check signatures, so that the header is signed is checked on the URL itself.)
    assert_eq!(upload.headers.get("if-none-match").map(String::as_str), Some("*"));
    let signed_headers = upload
        .url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("X-Amz-SignedHeaders="))
        .expect("signed headers");
    assert!(
        signed_headers.split("%3B").any(|h| h == "if-none-match"),
        "If-None-Match is part of the signature: {signed_headers}"
    );
    let mut again = http.put(&upload.url).body(body.clone());
    for (name, value) in &upload.headers {
        if name != "content-length" && name != "host" {
            again = again.header(name, value);
        }
    }
    let second = again.send().await.expect("second upload");
    assert_eq!(
        second.status().as_u16(),
        412,
        "a second PUT to a still-valid URL is refused: {}",
        second.text().await.unwrap_or_default()
    );
    assert_eq!(
        store.head(&key).await.unwrap().unwrap(),
        facts,
        "the first upload is kept"
    );

    let download = store
        .presign_download(&key, "Angebot Q3 ä.pdf", Duration::minutes(5))
        .await
        .expect("presign download");
    let fetched = http.get(&download.url).send().await.expect("download");
    assert!(fetched.status().is_success());
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), body);

    store.delete(&key).await.expect("delete");
    assert!(store.head(&key).await.unwrap().is_none());
    store.delete(&key).await.expect("deleting twice is fine");
}

#[tokio::test]
async fn the_s3_export_sink_writes_whole_files_and_deletes_them() {
    use oms::adapters::export_sinks::S3ExportSink;
    use oms::ports::jobs::ExportSink;

    let config = oms_tests::moto_config().await;
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("opportunity-exports-{}", Uuid::new_v4().simple());
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    let sink = S3ExportSink::new(client.clone(), &bucket);
    assert_eq!(sink.location(), format!("s3://{bucket}"));
    let key = "opportunities/data/dt=2026-11-22/run-000001-part-00000.jsonl.gz";
    sink.put(key, b"first".to_vec(), "application/gzip").await.expect("put");
    sink.put(key, b"second".to_vec(), "application/gzip")
        .await
        .expect("overwrite");
    let object = client.get_object().bucket(&bucket).key(key).send().await.expect("get");
    assert_eq!(object.content_type(), Some("application/gzip"));
    assert_eq!(
        object.body.collect().await.expect("body").into_bytes().as_ref(),
        b"second"
    );
    sink.delete(key).await.expect("delete");
    sink.delete(key).await.expect("deleting a missing file is no error");
    assert!(client.get_object().bucket(&bucket).key(key).send().await.is_err());
    assert!(sink.put("../escape", b"x".to_vec(), "text/plain").await.is_err());
}

#[tokio::test]
async fn the_request_counter_counts_each_callers_minute_atomically_in_the_cache_table() {
    use oms::adapters::dynamodb_cache::DynamoDbRequestCounter;
    use oms::ports::limits::{RatePolicy, RequestCounter};
    let config = oms_tests::moto_config().await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let name = table(&client).await;
    let counter = DynamoDbRequestCounter::new(client.clone(), &name);
    let policy = RatePolicy { per_minute: 5 };
    let now = OffsetDateTime::now_utc();
    let alice = policy.window("alice", now);
    let counts = futures_join(&counter, &alice, 8).await;
    assert_eq!(
        counts,
        (1..=8).collect::<Vec<u64>>(),
        "no two requests got the same count"
    );
    assert_eq!(counter.count(&policy.window("bob", now)).await.unwrap(), 1);
    let item = client
        .get_item()
        .table_name(&name)
        .key("pk", AttributeValue::S(alice.key.clone()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the window's item");
    let expires: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    assert_eq!(
        expires,
        alice.ends_at + 60,
        "the table's TTL forgets the window after it"
    );
}

/// `n` concurrent counts of `window`, sorted.
async fn futures_join(
    counter: &oms::adapters::dynamodb_cache::DynamoDbRequestCounter,
    window: &oms::ports::limits::Window,
    n: usize,
) -> Vec<u64> {
    use oms::ports::limits::RequestCounter;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (counter, window) = (counter.clone(), window.clone());
        tasks.spawn(async move { counter.count(&window).await.unwrap() });
    }
    let mut counts = tasks.join_all().await;
    counts.sort_unstable();
    counts
}

#[tokio::test]
async fn the_pseudonym_key_is_read_from_its_secret_as_the_template_generates_it() {
    let config = oms_tests::moto_config().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let key = "Q2xhdWRlV2FzSGVyZUJ1dE9ubHlJblRlc3RzS2V5S2V5S2V5S2V5S2V5S2V5S2V5";
    let created = secrets
        .create_secret()
        .name(format!("oms-pseudonym-{}", Uuid::new_v4().simple()))
        .secret_string(serde_json::json!({ "key": key }).to_string())
        .send()
        .await
        .expect("secret");
    let arn = created.arn().expect("arn");
    let read = oms::app::pseudonym_key_from_secret(&config, arn).await.expect("key");
    let expected = oms::domain::privacy::PseudonymKey::parse(key).expect("key");
    assert_eq!(read.pseudonym("dana"), expected.pseudonym("dana"));
    let missing =
        oms::app::pseudonym_key_from_secret(&config, "arn:aws:secretsmanager:us-east-1:123456789012:secret:none")
            .await
            .map(|_| ());
    assert!(
        missing.is_err(),
        "a cold start without its key fails rather than erasing unkeyed"
    );
}
