//! Renders the fleet's part of `template.yaml` from the manifest: one IAM role per distinct set of
//! needs (least privilege, derived from the capabilities), each function with its log group,
//! alias and canary deployment, the Lambda error and throttle alarms (metric math over groups of
//! functions, so the stack stays within CloudFormation's 500 resources), the per-route latency
//! alarms and the operations dashboard.
//!
//! The rendered text sits between [`BEGIN`] and [`END`] in `template.yaml`; everything outside
//! (the API, queues, buckets, the database) is written by hand. `oms-local render` rewrites the
//! section, and a test fails when the committed file differs from what the manifest renders.

use std::collections::BTreeMap;
use std::fmt::Write;

use http::Method;

use super::{Capability, FLEET, Function, Queue, Trigger};

/// The line that opens the rendered section.
pub const BEGIN: &str =
    "  # ==== BEGIN FLEET: rendered from shared/src/fleet/manifest.rs by `oms-local render`; do not edit by hand ====";
/// The line that closes it.
pub const END: &str = "  # ==== END FLEET ====";

/// At most this many metrics in one metric-math alarm (CloudWatch's limit is 10 metrics).
const METRICS_PER_ALARM: usize = 10;
/// How many receives of a status event before the function parks it itself
/// (`OMS_STATUS_EVENTS_MAX_RECEIVES`; the queue's redrive limit, checked by a test).
const STATUS_EVENTS_MAX_RECEIVES: u32 = crate::consumers::status_events::DEFAULT_MAX_RECEIVES;

/// The attachments bucket by its fixed name: the bucket's notification invokes a function, so a
/// reference from a function or its role back to the bucket resource would be a cycle.
const ATTACHMENTS_BUCKET_NAME: &str = "${AWS::StackName}-attachments-${AWS::AccountId}-${AWS::Region}";

/// Replaces the rendered section of `template` with a fresh rendering.
pub fn splice(template: &str) -> Result<String, String> {
    let start = template.find(BEGIN).ok_or("template.yaml has no BEGIN FLEET line")?;
    let end = template.find(END).ok_or("template.yaml has no END FLEET line")?;
    if end < start {
        return Err("END FLEET comes before BEGIN FLEET".into());
    }
    Ok(format!("{}{}{}", &template[..start], render(), &template[end..]))
}

/// The rendered section, from [`BEGIN`] up to (not including) [`END`].
pub fn render() -> String {
    let mut out = String::new();
    out.push_str(BEGIN);
    out.push('\n');
    let roles = roles();
    for role in &roles {
        render_role(&mut out, role);
    }
    let groups = alarm_groups();
    for f in FLEET {
        let role = roles
            .iter()
            .find(|r| r.functions.contains(&f.name))
            .map_or("", |r| r.id.as_str());
        let group = groups.iter().position(|g| g.contains(&f.name)).unwrap_or(0);
        render_function(&mut out, f, role, group);
    }
    for (index, group) in groups.iter().enumerate() {
        render_lambda_alarm(
            &mut out,
            index,
            group,
            "Errors",
            "errors",
            "unhandled errors (crash, panic or timeout; handled errors are HTTP responses or reports)",
        );
        render_lambda_alarm(
            &mut out,
            index,
            group,
            "Throttles",
            "throttles",
            "throttled invocations (concurrency exhausted)",
        );
    }
    render_latency_alarms(&mut out);
    render_dashboard(&mut out);
    render_performance_dashboard(&mut out);
    render_business_dashboard(&mut out);
    out
}

/// A role shared by every function with the same needs and trigger-given permissions.
struct Role {
    id: String,
    needs: Vec<Capability>,
    consumes: Option<Queue>,
    on_failure_queue: bool,
    functions: Vec<&'static str>,
}

fn role_key(f: &Function) -> (Vec<Capability>, Option<Queue>, bool) {
    let mut needs: Vec<Capability> = f
        .needs
        .iter()
        .copied()
        .filter(|c| !matches!(c, Capability::DocsAssets | Capability::VerifyTokens))
        .collect();
    needs.sort();
    let consumes = match f.trigger {
        Trigger::Queue { queue, .. } => Some(queue),
        _ => None,
    };
    (needs, consumes, matches!(f.trigger, Trigger::AttachmentUploaded(_)))
}

fn token(c: Capability) -> &'static str {
    use Capability::*;
    match c {
        DatabaseStatements => "DbStatements",
        DatabaseTransactions => "DbTransactions",
        ReadCache => "CacheRead",
        WriteCache => "CacheWrite",
        CountRequests => "Counted",
        PublishChangeEvents => "Publish",
        ParkDeadLetters => "DeadLetters",
        UploadAttachments => "Uploads",
        DownloadAttachments => "Downloads",
        DeleteAttachments => "Deletes",
        CheckUploads => "UploadChecks",
        WritePrivacyExports => "PrivacyExports",
        WriteOpportunityExports => "OpportunityExports",
        PseudonymKey => "Pseudonyms",
        DocsAssets | VerifyTokens => "",
    }
}

fn roles() -> Vec<Role> {
    let mut roles: Vec<Role> = Vec::new();
    for f in FLEET {
        let (needs, consumes, on_failure_queue) = role_key(f);
        if let Some(role) = roles
            .iter_mut()
            .find(|r| r.needs == needs && r.consumes == consumes && r.on_failure_queue == on_failure_queue)
        {
            role.functions.push(f.name);
            continue;
        }
        let mut id: String = needs.iter().map(|c| token(*c)).collect();
        if let Some(queue) = consumes {
            id.push_str(match queue {
                Queue::ChangeEvents => "ChangeEventsConsumer",
                Queue::CacheInvalidation => "CacheInvalidationConsumer",
                Queue::StatusEvents => "StatusEventsConsumer",
            });
        }
        if on_failure_queue {
            id.push_str("UploadNotified");
        }
        if id.is_empty() {
            id.push_str("LogsOnly");
        }
        id.push_str("Role");
        roles.push(Role {
            id,
            needs,
            consumes,
            on_failure_queue,
            functions: vec![f.name],
        });
    }
    roles
}

fn render_role(out: &mut String, role: &Role) {
    let _ = writeln!(out, "\n  # Shared by: {}.", role.functions.join(", "));
    let _ = write!(
        out,
        r#"  {id}:
    Type: AWS::IAM::Role
    Metadata:
      checkov:
        skip:
          - id: CKV_AWS_111
            comment: X-Ray's PutTraceSegments and PutTelemetryRecords take no resource (only "*").
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{Service: lambda.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: needs
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Sid: OwnLogs
                Effect: Allow
                Action:
                  - logs:CreateLogStream
                  - logs:PutLogEvents
                Resource:
"#,
        id = role.id
    );
    for name in &role.functions {
        let _ = writeln!(
            out,
            "                  - !GetAtt {}LogGroup.Arn",
            super::pascal_case(name)
        );
    }
    out.push_str(
        r#"              - Sid: Traces
                Effect: Allow
                Action:
                  - xray:PutTraceSegments
                  - xray:PutTelemetryRecords
                Resource: "*"
"#,
    );
    for statement in statements(role) {
        out.push_str(&statement);
    }
}

/// The IAM statements of a role, each as YAML list items at the policy's indentation.
fn statements(role: &Role) -> Vec<String> {
    use Capability::*;
    let has = |c| role.needs.contains(&c);
    let mut s = Vec::new();
    let database = has(DatabaseStatements) || has(DatabaseTransactions);
    if database {
        let transactions = if has(DatabaseTransactions) {
            "\n                  - rds-data:BeginTransaction\n                  - rds-data:CommitTransaction\n                  - rds-data:RollbackTransaction"
        } else {
            ""
        };
        s.push(format!(
            r#"              - Sid: DataApi
                Effect: Allow
                Action:
                  - rds-data:ExecuteStatement{transactions}
                Resource: !If [CreateDatabase, !GetAtt DbCluster.DBClusterArn, !Ref ExistingDbClusterArn]
              - Sid: DataApiSecret
                Effect: Allow
                Action: secretsmanager:GetSecretValue
                Resource: !If [CreateDatabase, !GetAtt DbCluster.MasterUserSecret.SecretArn, !Ref ExistingDbSecretArn]
              - !If
                - DbSecretHasKmsKey
                - Sid: DataApiSecretKey
                  Effect: Allow
                  Action: kms:Decrypt
                  Resource: !If [CreateDatabase, !GetAtt KmsKey.Arn, !Ref ExistingDbSecretKmsKeyArn]
                  Condition:
                    StringEquals:
                      kms:ViaService: !Sub "secretsmanager.${{AWS::Region}}.amazonaws.com"
                - !Ref AWS::NoValue
"#
        ));
    }
    let mut cache_actions = Vec::new();
    if has(ReadCache) {
        cache_actions.push("dynamodb:GetItem");
    }
    if has(ReadCache) || has(WriteCache) {
        cache_actions.push("dynamodb:PutItem");
    }
    if !cache_actions.is_empty() {
        s.push(format!(
            "              - Sid: Cache\n                Effect: Allow\n                Action:\n{}                Resource: !GetAtt CacheTable.Arn\n",
            cache_actions.iter().map(|a| format!("                  - {a}\n")).collect::<String>()
        ));
    }
    if has(CountRequests) {
        s.push(
            r#"              - Sid: RequestCounts
                Effect: Allow
                Action: dynamodb:UpdateItem
                Resource: !GetAtt CacheTable.Arn
                Condition:
                  ForAllValues:StringLike:
                    dynamodb:LeadingKeys:
                      - "rate:*"
"#
            .into(),
        );
    }
    if has(ReadCache) || has(WriteCache) || has(CountRequests) {
        s.push(
            r#"              - Sid: CacheTableKey
                Effect: Allow
                Action: kms:Decrypt
                Resource: !GetAtt KmsKey.Arn
                Condition:
                  StringEquals:
                    kms:ViaService: !Sub "dynamodb.${AWS::Region}.amazonaws.com"
                    kms:EncryptionContext:aws:dynamodb:tableName: !Ref CacheTable
"#
            .into(),
        );
    }
    let mut send_to = Vec::new();
    if has(PublishChangeEvents) {
        send_to.push("ChangeEventsQueue");
    }
    if has(ParkDeadLetters) {
        send_to.push("StatusEventsDeadLetterQueue");
    }
    if role.on_failure_queue {
        // The S3 notification's on-failure destination: Lambda sends the failed event there.
        send_to.push("AttachmentCompleteDeadLetterQueue");
    }
    for queue in &send_to {
        s.push(format!(
            r#"              - Sid: SendTo{queue}
                Effect: Allow
                Action: sqs:SendMessage
                Resource: !GetAtt {queue}.Arn
              - Sid: {queue}Key
                Effect: Allow
                Action:
                  - kms:GenerateDataKey
                  - kms:Decrypt
                Resource: !GetAtt KmsKey.Arn
                Condition:
                  StringEquals:
                    kms:ViaService: !Sub "sqs.${{AWS::Region}}.amazonaws.com"
                    kms:EncryptionContext:aws:sqs:arn: !GetAtt {queue}.Arn
"#
        ));
    }
    if let Some(queue) = role.consumes {
        let queue = queue.resource();
        let key = if send_to.contains(&queue) {
            String::new()
        } else {
            format!(
                r#"              - Sid: {queue}ReceiveKey
                Effect: Allow
                Action: kms:Decrypt
                Resource: !GetAtt KmsKey.Arn
                Condition:
                  StringEquals:
                    kms:ViaService: !Sub "sqs.${{AWS::Region}}.amazonaws.com"
                    kms:EncryptionContext:aws:sqs:arn: !GetAtt {queue}.Arn
"#
            )
        };
        s.push(format!(
            r#"              - Sid: Consume{queue}
                Effect: Allow
                Action:
                  - sqs:ReceiveMessage
                  - sqs:DeleteMessage
                  - sqs:ChangeMessageVisibility
                  - sqs:GetQueueAttributes
                Resource: !GetAtt {queue}.Arn
{key}"#
        ));
    }
    let object = format!("!Sub \"arn:${{AWS::Partition}}:s3:::{ATTACHMENTS_BUCKET_NAME}/attachments/*\"");
    let bucket = format!("!Sub \"arn:${{AWS::Partition}}:s3:::{ATTACHMENTS_BUCKET_NAME}\"");
    let mut object_actions = Vec::new();
    if has(UploadAttachments) {
        // Presigned PUTs must ask for SSE-KMS with the stack key.
        s.push(format!(
            r#"              - Sid: UploadAttachments
                Effect: Allow
                Action: s3:PutObject
                Resource: {object}
                Condition:
                  StringEquals:
                    s3:x-amz-server-side-encryption: aws:kms
                    s3:x-amz-server-side-encryption-aws-kms-key-id: !GetAtt KmsKey.Arn
"#
        ));
    }
    if has(DownloadAttachments) || has(CheckUploads) {
        object_actions.push("s3:GetObject");
    }
    if has(DeleteAttachments) || has(CheckUploads) {
        object_actions.push("s3:DeleteObject");
    }
    if !object_actions.is_empty() {
        s.push(format!(
            "              - Sid: AttachmentObjects\n                Effect: Allow\n                Action:\n{}                Resource: {object}\n",
            object_actions.iter().map(|a| format!("                  - {a}\n")).collect::<String>()
        ));
    }
    if has(CheckUploads) {
        // Lets S3 answer the HEAD of a missing object with 404 rather than 403.
        s.push(format!(
            "              - Sid: AttachmentsBucketExistence\n                Effect: Allow\n                Action: s3:ListBucket\n                Resource: {bucket}\n"
        ));
    }
    if has(WritePrivacyExports) {
        s.push(exports_prefix_statements(
            "PrivacyExports",
            "ExportsBucketKey",
            "privacy-exports",
            &["s3:PutObject", "s3:GetObject"],
        ));
    }
    if has(WriteOpportunityExports) {
        // The bucket's default encryption (the stack key) applies to what the export puts.
        s.push(exports_prefix_statements(
            "OpportunityExports",
            "OpportunityExportsKey",
            "opportunities",
            &["s3:PutObject", "s3:DeleteObject"],
        ));
    }
    if has(PseudonymKey) {
        // The key is read from its secret at cold start: it never sits in the environment, where
        // anyone allowed to read the function's configuration would see it.
        s.push(
            r#"              - Sid: PseudonymKeySecret
                Effect: Allow
                Action: secretsmanager:GetSecretValue
                Resource: !Ref PseudonymKeySecret
              - Sid: PseudonymKeySecretKey
                Effect: Allow
                Action: kms:Decrypt
                Resource: !GetAtt KmsKey.Arn
                Condition:
                  StringEquals:
                    kms:ViaService: !Sub "secretsmanager.${AWS::Region}.amazonaws.com"
"#
            .into(),
        );
    }
    let mut key_actions = Vec::new();
    if has(UploadAttachments) {
        key_actions.push("kms:GenerateDataKey");
    }
    if has(UploadAttachments) || has(DownloadAttachments) || has(CheckUploads) {
        key_actions.push("kms:Decrypt");
    }
    if !key_actions.is_empty() {
        s.push(format!(
            r#"              - Sid: AttachmentsBucketKey
                Effect: Allow
                Action:
{actions}                Resource: !GetAtt KmsKey.Arn
                Condition:
                  StringEquals:
                    kms:ViaService: !Sub "s3.${{AWS::Region}}.amazonaws.com"
                  StringLike:
                    kms:EncryptionContext:aws:s3:arn:
                      - {bucket}
                      - {object}
"#,
            actions = key_actions
                .iter()
                .map(|a| format!("                  - {a}\n"))
                .collect::<String>()
        ));
    }
    s
}

/// Object `actions` under one prefix of the exports bucket, and the stack key through S3 for them.
fn exports_prefix_statements(sid: &str, key_sid: &str, prefix: &str, actions: &[&str]) -> String {
    let actions: String = actions.iter().map(|a| format!("                  - {a}\n")).collect();
    format!(
        r#"              - Sid: {sid}
                Effect: Allow
                Action:
{actions}                Resource: !Sub "${{ExportsBucket.Arn}}/{prefix}/*"
              - Sid: {key_sid}
                Effect: Allow
                Action:
                  - kms:GenerateDataKey
                  - kms:Decrypt
                Resource: !GetAtt KmsKey.Arn
                Condition:
                  StringEquals:
                    kms:ViaService: !Sub "s3.${{AWS::Region}}.amazonaws.com"
                  StringLike:
                    kms:EncryptionContext:aws:s3:arn:
                      - !GetAtt ExportsBucket.Arn
                      - !Sub "${{ExportsBucket.Arn}}/{prefix}/*"
"#
    )
}

/// The environment a function's needs and trigger give it, beyond the globals.
fn environment(f: &Function) -> BTreeMap<&'static str, String> {
    use Capability::*;
    let mut env = BTreeMap::new();
    if f.needs(ReadCache) || f.needs(WriteCache) {
        env.insert("OMS_CACHE_TABLE", "!Ref CacheTable".to_owned());
    }
    if f.needs(CountRequests) {
        env.insert("OMS_REQUEST_COUNTER_TABLE", "!Ref CacheTable".to_owned());
    }
    if f.needs(PublishChangeEvents) {
        env.insert("OMS_CHANGE_EVENTS_QUEUE_URL", "!Ref ChangeEventsQueue".to_owned());
    }
    if f.needs(ParkDeadLetters) {
        env.insert(
            "OMS_DEAD_LETTER_QUEUE_URL",
            "!Ref StatusEventsDeadLetterQueue".to_owned(),
        );
        env.insert(
            "OMS_STATUS_EVENTS_MAX_RECEIVES",
            format!("\"{STATUS_EVENTS_MAX_RECEIVES}\""),
        );
    }
    if [UploadAttachments, DownloadAttachments, DeleteAttachments, CheckUploads]
        .iter()
        .any(|c| f.needs(*c))
    {
        env.insert("OMS_ATTACHMENTS_BUCKET", format!("!Sub \"{ATTACHMENTS_BUCKET_NAME}\""));
    }
    if f.needs(UploadAttachments) || f.needs(WritePrivacyExports) {
        env.insert("OMS_ATTACHMENTS_KMS_KEY_ID", "!GetAtt KmsKey.Arn".to_owned());
    }
    if f.needs(WritePrivacyExports) || f.needs(WriteOpportunityExports) {
        env.insert("OMS_EXPORTS_BUCKET", "!Ref ExportsBucket".to_owned());
    }
    if f.needs(PseudonymKey) {
        env.insert("OMS_PSEUDONYM_KEY_SECRET_ARN", "!Ref PseudonymKeySecret".to_owned());
    }
    if matches!(f.trigger, Trigger::Authorizer) {
        env.insert(
            "OMS_COGNITO_USER_POOL_ID",
            "!Select [1, !Split [\"/\", !Ref UserPoolArn]]".to_owned(),
        );
        env.insert(
            "OMS_COGNITO_REGION",
            "!Select [3, !Split [\":\", !Ref UserPoolArn]]".to_owned(),
        );
    }
    env
}

/// The variables a function's environment names, for the consistency tests.
pub fn environment_names(f: &Function) -> Vec<&'static str> {
    environment(f).into_keys().collect()
}

fn dlq_reason(f: &Function) -> &'static str {
    match f.trigger {
        Trigger::Api(_) | Trigger::Authorizer => {
            "Invoked synchronously by API Gateway; a Lambda DLQ only applies to asynchronous invocations."
        }
        Trigger::Queue { .. } => {
            "Invoked synchronously by its SQS event source mapping, to which a Lambda DLQ does not apply; messages that keep failing move to the queue's dead-letter queue (RedrivePolicy), which has an alarm."
        }
        Trigger::AttachmentUploaded(_) => {
            "Failed asynchronous invocations go to the on-failure destination (an SQS queue with an alarm), which supersedes a DLQ."
        }
        Trigger::Schedule { .. } => {
            "The schedule's event carries no data: the work of a failed run stays in the database and the next run takes it up; a DLQ would only collect empty scheduled events. Failures raise the errors alarm."
        }
    }
}

fn render_function(out: &mut String, f: &Function, role: &str, group: usize) {
    let stem = f.resource_stem();
    let name = f.name;
    let _ = write!(
        out,
        r#"
  # {name}: {why}
  {stem}LogGroup:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: Delete
    UpdateReplacePolicy: Delete
    Properties:
      LogGroupName: !Sub "/aws/lambda/${{AWS::StackName}}-{name}"
      RetentionInDays: !Ref LogRetentionDays
      KmsKeyId: !GetAtt KmsKey.Arn

  {stem}Function:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: {name}
      checkov:
        skip:
          - id: CKV_AWS_117
            comment: No VPC needed - the functions reach AWS only over IAM-authorised HTTPS endpoints (Aurora via the Data API).
          - id: CKV_AWS_116
            comment: "{dlq}"
          - id: CKV_AWS_115
            comment: No reserved concurrency (it is carved out of the account pool); stage throttling and event source limits bound it.
          - id: CKV_AWS_173
            comment: The environment holds no secrets (ARNs, names, queue URLs, a log filter); the AWS managed key encrypts it.
    Properties:
      FunctionName: !Sub "${{AWS::StackName}}-{name}"
      Description: "{summary}"
      CodeUri: functions/{name}
      Role: !GetAtt {role}.Arn
"#,
        why = f.why,
        dlq = dlq_reason(f),
        summary = f.summary,
    );
    if let Some(timeout) = f.timeout_seconds {
        let _ = writeln!(out, "      Timeout: {timeout}");
    }
    if !matches!(f.trigger, Trigger::Authorizer) {
        // The API invokes the authorizer by its unqualified ARN; every other function deploys
        // through its alias, gradually where the strategy says so, rolled back by its alarms.
        let mut alarms = vec![format!("FunctionErrorsAlarm{group}")];
        if matches!(f.trigger, Trigger::Api(_)) {
            alarms.push("Api5xxRateAlarm".into());
            alarms.push("ApiLatencyAlarm".into());
        }
        let _ = write!(
            out,
            "      AutoPublishAlias: live\n      DeploymentPreference:\n        Type: !Ref DeploymentStrategy\n        Alarms:\n{}",
            alarms
                .iter()
                .map(|a| format!("          - !Ref {a}\n"))
                .collect::<String>()
        );
    }
    let _ = write!(
        out,
        "      LoggingConfig:\n        LogFormat: JSON\n        ApplicationLogLevel: TRACE  # let RUST_LOG (the LogLevel parameter) be the only filter\n        LogGroup: !Ref {stem}LogGroup\n"
    );
    let env = environment(f);
    if !env.is_empty() {
        out.push_str("      Environment:\n        Variables:\n");
        for (k, v) in &env {
            let _ = writeln!(out, "          {k}: {v}");
        }
    }
    match &f.trigger {
        Trigger::Api(route) => {
            let auth = if route.authenticated {
                ""
            } else {
                "\n            Auth:\n              Authorizer: NONE"
            };
            let _ = writeln!(
                out,
                "      Events:\n        Api:\n          Type: Api\n          Properties:\n            RestApiId: !Ref Api\n            Path: {}\n            Method: {}{auth}",
                route.path,
                route.method.as_str()
            );
        }
        Trigger::Queue { queue, .. } => {
            let (window, concurrency) = match queue {
                Queue::ChangeEvents | Queue::CacheInvalidation => {
                    ("\n            MaximumBatchingWindowInSeconds: 1", 10)
                }
                Queue::StatusEvents => ("", 5),
            };
            let _ = writeln!(
                out,
                "      Events:\n        Queue:\n          Type: SQS\n          Properties:\n            Queue: !GetAtt {}.Arn\n            BatchSize: 10{window}\n            FunctionResponseTypes: [ReportBatchItemFailures]\n            ScalingConfig:\n              MaximumConcurrency: {concurrency}",
                queue.resource()
            );
        }
        Trigger::AttachmentUploaded(_) => {
            out.push_str(
                r#"      EventInvokeConfig:
        MaximumRetryAttempts: 2
        MaximumEventAgeInSeconds: 21600
        DestinationConfig:
          OnFailure:
            Type: SQS
            Destination: !GetAtt AttachmentCompleteDeadLetterQueue.Arn
      Events:
        Uploaded:
          Type: S3
          Properties:
            Bucket: !Ref AttachmentsBucket
            Events: s3:ObjectCreated:*
            Filter:
              S3Key:
                Rules:
                  - Name: prefix
                    Value: attachments/
"#,
            );
        }
        Trigger::Schedule {
            expression,
            description,
            retries,
            ..
        } => {
            // A run whose next one comes within minutes is not retried; a daily job is, within the hour.
            let max_age = if *retries == 0 { 60 } else { 3600 };
            let _ = writeln!(
                out,
                "      EventInvokeConfig:\n        MaximumRetryAttempts: {retries}\n        MaximumEventAgeInSeconds: {max_age}\n      Events:\n        Schedule:\n          Type: Schedule\n          Properties:\n            Schedule: {expression}\n            Description: \"{description}\"\n            State: ENABLED"
            );
        }
        Trigger::Authorizer => {}
    }
}

/// The functions in groups of at most [`METRICS_PER_ALARM`], one alarm of each kind per group.
fn alarm_groups() -> Vec<Vec<&'static str>> {
    let names: Vec<&'static str> = FLEET.iter().map(|f| f.name).collect();
    names.chunks(METRICS_PER_ALARM).map(<[&str]>::to_vec).collect()
}

fn render_lambda_alarm(out: &mut String, index: usize, group: &[&str], metric: &str, slug: &str, what: &str) {
    let _ = write!(
        out,
        r#"
  Function{metric}Alarm{index}:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub "${{AWS::StackName}}-functions-{slug}-{index}"
      AlarmDescription: "{what} of {functions}, 1 or more in 5 minutes."
      ComparisonOperator: GreaterThanOrEqualToThreshold
      Threshold: 1
      EvaluationPeriods: 1
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]
      Metrics:
"#,
        functions = group.join(", ")
    );
    for (i, name) in group.iter().enumerate() {
        let _ = write!(
            out,
            "        - Id: f{i}\n          ReturnData: false\n          MetricStat:\n            Period: 300\n            Stat: Sum\n            Metric:\n              Namespace: AWS/Lambda\n              MetricName: {metric}\n              Dimensions:\n                - {{Name: FunctionName, Value: !Ref {}Function}}\n",
            super::pascal_case(name)
        );
    }
    let ids: Vec<String> = (0..group.len()).map(|i| format!("f{i}")).collect();
    let _ = writeln!(
        out,
        "        - Id: total\n          Label: \"{slug} of the group\"\n          Expression: \"SUM([{}])\"\n          ReturnData: true",
        ids.join(", ")
    );
}

/// Latency classes: reads against the read target, writes against the write target.
fn render_latency_alarms(out: &mut String) {
    let routes: Vec<_> = crate::routes::routes().collect();
    let reads: Vec<_> = routes.iter().filter(|r| r.method == Method::GET).collect();
    let writes: Vec<_> = routes.iter().filter(|r| r.method != Method::GET).collect();
    for (kind, list, threshold, target) in [
        ("read", reads, "ReadLatencyThresholdMs", "reads under 200 ms"),
        ("write", writes, "WriteLatencyThresholdMs", "writes under 500 ms"),
    ] {
        for (index, chunk) in list.chunks(METRICS_PER_ALARM - 1).enumerate() {
            let title = if kind == "read" { "Read" } else { "Write" };
            let _ = write!(
                out,
                r#"
  Api{title}LatencyAlarm{index}:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub "${{AWS::StackName}}-api-{kind}-latency-p95-{index}"
      AlarmDescription: !Sub "p95 latency of one of {routes} above ${{{threshold}}} ms over 5 minutes (seed 001: {target})."
      ComparisonOperator: GreaterThanThreshold
      Threshold: !Ref {threshold}
      EvaluationPeriods: 1
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]
      Metrics:
"#,
                routes = chunk
                    .iter()
                    .map(|r| format!("{} {}", r.method, r.path))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for (i, route) in chunk.iter().enumerate() {
                let _ = write!(
                    out,
                    "        - Id: r{i}\n          ReturnData: false\n          MetricStat:\n            Period: 300\n            Stat: p95\n            Unit: Milliseconds\n            Metric:\n              Namespace: AWS/ApiGateway\n              MetricName: Latency\n              Dimensions:\n                - {{Name: ApiName, Value: !Sub \"${{AWS::StackName}}-api\"}}\n                - {{Name: Stage, Value: !Ref Stage}}\n                - {{Name: Method, Value: {}}}\n                - {{Name: Resource, Value: \"{}\"}}\n",
                    route.method, route.path
                );
            }
            let ids: Vec<String> = (0..chunk.len()).map(|i| format!("r{i}")).collect();
            let _ = writeln!(
                out,
                "        - Id: worst\n          Label: \"slowest {kind} route, p95 (ms)\"\n          Expression: \"MAX([{}])\"\n          ReturnData: true",
                ids.join(", ")
            );
        }
    }
}

/// The operations dashboard: API, WAF, queues and the functions (errors, throttles, duration and
/// the recent ERROR log lines of every function's log group).
fn render_dashboard(out: &mut String) {
    use serde_json::json;
    let per_function = |metric: &str, stat: &str| -> Vec<serde_json::Value> {
        FLEET
            .iter()
            .map(|f| {
                json!(["AWS/Lambda", metric, "FunctionName", format!("${{{}Function}}", f.resource_stem()), {"stat": stat, "label": f.name}])
            })
            .collect()
    };
    let metric = |x: u32, y: u32, title: &str, stat: &str, metrics: serde_json::Value| {
        json!({"type": "metric", "x": x, "y": y, "width": 8, "height": 6, "properties": {
            "title": title, "region": "${AWS::Region}", "view": "timeSeries", "stat": stat, "period": 60, "metrics": metrics}})
    };
    let api = ["ApiName", "${AWS::StackName}-api", "Stage", "${Stage}"];
    let sources: Vec<String> = FLEET
        .iter()
        .map(|f| format!("SOURCE '/aws/lambda/${{AWS::StackName}}-{}'", f.name))
        .collect();
    let widgets = json!([
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown":
            "## Opportunity Management Service (${Stage})\nAPI `${AWS::StackName}-api`; attachments bucket `${AttachmentsBucket}`; alarms go to the SNS topic `${AlarmTopic.TopicName}`. Targets (seed 001): reads p95 < 200 ms, writes p95 < 500 ms, 5XX < 1 %."}},
        metric(0, 2, "API requests and errors", "Sum", json!([
            ["AWS/ApiGateway", "Count", api[0], api[1], api[2], api[3]],
            [".", "4XXError", ".", ".", ".", "."],
            [".", "5XXError", ".", ".", ".", "."]])),
        metric(8, 2, "API latency (ms)", "p95", json!([
            ["AWS/ApiGateway", "Latency", api[0], api[1], api[2], api[3], {"stat": "p50", "label": "p50"}],
            ["...", {"stat": "p95", "label": "p95"}],
            ["...", {"stat": "p99", "label": "p99"}],
            ["AWS/ApiGateway", "IntegrationLatency", api[0], api[1], api[2], api[3], {"stat": "p95", "label": "integration p95"}]])),
        metric(16, 2, "WAF requests", "Sum", json!([
            ["AWS/WAFV2", "AllowedRequests", "WebACL", "${AWS::StackName}-api", "Rule", "ALL", "Region", "${AWS::Region}"],
            [".", "BlockedRequests", ".", ".", ".", ".", ".", "."]])),
        metric(0, 8, "Function errors", "Sum", json!(per_function("Errors", "Sum"))),
        metric(8, 8, "Function throttles", "Sum", json!(per_function("Throttles", "Sum"))),
        metric(16, 8, "Function duration p95 (ms)", "p95", json!(per_function("Duration", "p95"))),
        metric(0, 14, "Dead-letter queues (messages)", "Maximum", json!([
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${ChangeEventsDeadLetterQueue.QueueName}"],
            ["...", "${CacheInvalidationDeadLetterQueue.QueueName}"],
            ["...", "${IntegrationEventsDeadLetterQueue.QueueName}"],
            ["...", "${StatusEventsDeadLetterQueue.QueueName}"],
            ["...", "${AttachmentCompleteDeadLetterQueue.QueueName}"]])),
        metric(8, 14, "ERROR log lines and unpublished events (EMF)", "Sum", json!([
            ["OMS/${AWS::StackName}", "ErrorLogLines", "service", "oms"],
            [".", "OutboxPublishFailures", ".", "."],
            [".", "DeadLetterParks", ".", "."]])),
        metric(16, 14, "Concurrent executions (account)", "Maximum", json!([["AWS/Lambda", "ConcurrentExecutions"]])),
        metric(0, 20, "Queues: age of the oldest message (s)", "Maximum", json!([
            ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "${ChangeEventsQueue.QueueName}"],
            ["...", "${CacheInvalidationQueue.QueueName}"],
            ["...", "${StatusEventsQueue.QueueName}"]])),
        metric(8, 20, "Queues: messages sent and waiting", "Sum", json!([
            ["AWS/SQS", "NumberOfMessagesSent", "QueueName", "${ChangeEventsQueue.QueueName}"],
            [".", "ApproximateNumberOfMessagesVisible", ".", "."],
            [".", "NumberOfMessagesSent", ".", "${StatusEventsQueue.QueueName}"],
            [".", "ApproximateNumberOfMessagesVisible", ".", "."]])),
        {"type": "log", "x": 0, "y": 26, "width": 24, "height": 8, "properties": {
            "title": "Recent ERROR log lines", "region": "${AWS::Region}", "view": "table",
            "query": format!("{} | fields @timestamp, span.function, span.request_id, fields.cause | filter level = 'ERROR' | sort @timestamp desc | limit 50", sources.join(" | "))}}
    ]);
    // Keys in one order whatever serde_json's features (preserve_order is unified in some builds).
    let body =
        serde_json::to_string_pretty(&crate::openapi::keys_in_order(json!({ "widgets": widgets }))).unwrap_or_default();
    let _ = write!(
        out,
        "\n  Dashboard:\n    Type: AWS::CloudWatch::Dashboard\n    Properties:\n      DashboardName: !Sub \"${{AWS::StackName}}-operations\"\n      DashboardBody: !Sub |\n{}\n",
        body.lines()
            .map(|l| format!("        {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A dashboard resource named `{stack}-{slug}` with these widgets.
fn write_dashboard(out: &mut String, resource: &str, slug: &str, widgets: serde_json::Value) {
    use serde_json::json;
    let body =
        serde_json::to_string_pretty(&crate::openapi::keys_in_order(json!({ "widgets": widgets }))).unwrap_or_default();
    let _ = write!(
        out,
        "\n  {resource}:\n    Type: AWS::CloudWatch::Dashboard\n    Properties:\n      DashboardName: !Sub \"${{AWS::StackName}}-{slug}\"\n      DashboardBody: !Sub |\n{}\n",
        body.lines()
            .map(|l| format!("        {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A time series of the EMF metrics of `crate::metrics` (namespace `OMS/<stack>`).
fn emf_widget(x: u32, y: u32, title: &str, period: u32, metrics: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"type": "metric", "x": x, "y": y, "width": 8, "height": 6, "properties": {
        "title": title, "region": "${AWS::Region}", "view": "timeSeries", "period": period, "metrics": metrics}})
}

/// A SEARCH expression over one EMF metric by a dimension set, e.g. every function's `Duration`.
fn emf_search(dimensions: &str, metric: &str, filter: &str, stat: &str, period: u32, id: &str) -> serde_json::Value {
    serde_json::json!([{ "expression": format!(
        "SEARCH('{{OMS/${{AWS::StackName}},{dimensions}}} MetricName=\"{metric}\"{filter}', '{stat}', {period})"),
        "id": id, "label": ""}])
}

/// Performance: what the functions measure themselves (EMF, `shared/src/metrics.rs`): duration
/// and cold starts per function, outcomes per operation, the Data API, the cache, the outbox.
fn render_performance_dashboard(out: &mut String) {
    use serde_json::json;
    let ns = "OMS/${AWS::StackName}";
    let widgets = json!([
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown":
            "## Performance (${Stage})\nMeasured by the functions (CloudWatch Embedded Metric Format, namespace `OMS/${AWS::StackName}`, one line per invocation). Dimensions: service, function, operation, outcome. Targets (seed 001): reads p95 < 200 ms, writes p95 < 500 ms."}},
        emf_widget(0, 2, "Duration p95 by function (ms)", 300, emf_search("service,function", "Duration", "", "p95", 300, "d")),
        emf_widget(8, 2, "Cold starts by function", 300, emf_search("service,function", "ColdStart", "", "Sum", 300, "c")),
        emf_widget(16, 2, "Server errors by operation", 300, emf_search("service,operation,outcome", "Invocations", " outcome=\"server_error\"", "Sum", 300, "e")),
        emf_widget(0, 8, "Data API calls and errors", 60, json!([
            [ns, "DataApiCalls", "service", "oms", {"stat": "Sum"}],
            [".", "DataApiErrors", ".", ".", {"stat": "Sum"}]])),
        emf_widget(8, 8, "Data API time per invocation (ms)", 60, json!([
            [ns, "DataApiTime", "service", "oms", {"stat": "p50", "label": "p50"}],
            ["...", {"stat": "p95", "label": "p95"}],
            ["...", {"stat": "p99", "label": "p99"}]])),
        emf_widget(16, 8, "Cache hit rate (%)", 300, json!([
            [ns, "CacheHits", "service", "oms", {"stat": "Sum", "id": "hits", "visible": false}],
            [".", "CacheMisses", ".", ".", {"stat": "Sum", "id": "misses", "visible": false}],
            [{"expression": "100 * hits / (hits + misses)", "label": "hit rate", "id": "rate"}]])),
        emf_widget(0, 14, "Outbox: published, failures, idempotent replays", 60, json!([
            [ns, "OutboxPublished", "service", "oms", {"stat": "Sum"}],
            [".", "OutboxPublishFailures", ".", ".", {"stat": "Sum"}],
            [".", "IdempotentReplays", ".", ".", {"stat": "Sum"}],
            [".", "DeadLetterParks", ".", ".", {"stat": "Sum"}]])),
        emf_widget(8, 14, "Outbox lag: commit to publication (ms)", 60, json!([
            [ns, "OutboxLag", "service", "oms", {"stat": "Maximum", "label": "max"}],
            ["...", {"stat": "p95", "label": "p95"}]])),
        emf_widget(16, 14, "Integration bus: rule deliveries", 60, json!([
            ["AWS/Events", "Invocations", "EventBusName", "${IntegrationBus}", {"stat": "Sum"}],
            [".", "FailedInvocations", ".", ".", {"stat": "Sum"}]]))
    ]);
    write_dashboard(out, "PerformanceDashboard", "performance", widgets);
}

/// Business figures (seed 002): opportunities created, submitted, cancelled and completed, and
/// the ARR submitted per currency.
fn render_business_dashboard(out: &mut String) {
    use serde_json::json;
    let ns = "OMS/${AWS::StackName}";
    let widgets = json!([
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown":
            "## Business (${Stage})\nCounted once per committed change (never by the outbox relay's re-sends). ARR in each currency's major unit; currencies are not converted."}},
        emf_widget(0, 2, "Opportunities per day", 86400, json!([
            [ns, "OpportunitiesCreated", "service", "oms", {"stat": "Sum", "label": "created"}],
            [".", "OpportunitiesSubmitted", ".", ".", {"stat": "Sum", "label": "submitted"}],
            [".", "OpportunitiesCancelled", ".", ".", {"stat": "Sum", "label": "cancelled"}],
            [".", "OpportunitiesCompleted", ".", ".", {"stat": "Sum", "label": "completed"}]])),
        emf_widget(8, 2, "ARR submitted per day, by currency", 86400, emf_search("service,currency", "ArrSubmitted", "", "Sum", 86400, "arr")),
        emf_widget(16, 2, "Submitted per created (%, 7 days)", 604800, json!([
            [ns, "OpportunitiesCreated", "service", "oms", {"stat": "Sum", "id": "created", "visible": false}],
            [".", "OpportunitiesSubmitted", ".", ".", {"stat": "Sum", "id": "submitted", "visible": false}],
            [{"expression": "100 * submitted / created", "label": "submitted / created", "id": "ratio"}]])),
        {"type": "metric", "x": 0, "y": 8, "width": 24, "height": 4, "properties": {
            "title": "Last 30 days", "region": "${AWS::Region}", "view": "singleValue", "period": 2592000, "stat": "Sum",
            "setPeriodToTimeRange": true, "metrics": [
                [ns, "OpportunitiesCreated", "service", "oms"],
                [".", "OpportunitiesSubmitted", ".", "."],
                [".", "OpportunitiesCancelled", ".", "."],
                [".", "OpportunitiesCompleted", ".", "."]]}}
    ]);
    write_dashboard(out, "BusinessDashboard", "business", widgets);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_with_the_same_needs_share_one_role_and_every_function_has_exactly_one() {
        let roles = roles();
        for f in FLEET {
            assert_eq!(
                roles.iter().filter(|r| r.functions.contains(&f.name)).count(),
                1,
                "{}",
                f.name
            );
        }
        assert!(roles.len() < FLEET.len(), "roles are shared");
        let ids: std::collections::BTreeSet<_> = roles.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), roles.len(), "role ids are unique");
    }

    #[test]
    fn a_role_grants_transactions_only_to_writers_and_object_access_only_to_object_users() {
        let roles = roles();
        let reader = roles
            .iter()
            .find(|r| r.functions.contains(&"list-opportunities"))
            .map(statements)
            .unwrap();
        let text = reader.concat();
        assert!(text.contains("rds-data:ExecuteStatement") && !text.contains("BeginTransaction"));
        assert!(!text.contains("s3:") && !text.contains("sqs:"));
        assert!(
            !text.contains("dynamodb:GetItem") && !text.contains("dynamodb:PutItem"),
            "a reader without the cache only counts its callers' requests"
        );
        assert!(text.contains("dynamodb:UpdateItem") && text.contains("\"rate:*\""));
        let writer = roles
            .iter()
            .find(|r| r.functions.contains(&"presign-upload"))
            .map(statements)
            .unwrap()
            .concat();
        assert!(writer.contains("rds-data:BeginTransaction") && writer.contains("s3:PutObject"));
        assert!(
            !writer.contains("s3:DeleteObject"),
            "presigning an upload never deletes"
        );
    }

    #[test]
    fn no_metric_math_alarm_exceeds_ten_metrics() {
        let text = render();
        for alarm in text.split("Type: AWS::CloudWatch::Alarm").skip(1) {
            let alarm = alarm.split("Type: AWS::").next().unwrap_or_default();
            assert!(alarm.matches("MetricStat:").count() <= METRICS_PER_ALARM, "{alarm}");
        }
    }

    #[test]
    fn splicing_replaces_only_the_section_between_the_markers() {
        let template = format!("head\n{BEGIN}\nold\n{END}\ntail\n");
        let spliced = splice(&template).unwrap();
        assert!(spliced.starts_with("head\n") && spliced.ends_with(&format!("{END}\ntail\n")));
        assert!(!spliced.contains("\nold\n"));
        assert!(splice("no markers").is_err());
    }
}
