//! Test harness: start the real application on a random port against a fresh
//! database, on SQLite and (when TEST_DATABASE_URL is set) on Postgres.

use std::io::Write;
use std::sync::Once;

use mcp_oauth::config::{Overrides, Settings};
use mcp_oauth::oauth::AuthServer;
use mcp_oauth::oauth::codes::CodeRequest;
use mcp_oauth::startup::Application;
use mcp_oauth::storage::Store;
use sqlx::Connection;

pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is removed when dropped.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn create(engine: Engine) -> Option<Self> {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                // The database holds signing keys: the server warns about a looser folder.
                std::fs::set_permissions(
                    dir.path(),
                    std::os::unix::fs::PermissionsExt::from_mode(0o700),
                )
                .expect("restrict the temp dir");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                Some(Self {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                })
            }
            Engine::Postgres => {
                let admin_url = postgres_url()?;
                sqlx::any::install_default_drivers();
                let name = format!("mcp_oauth_test_{}", random_suffix());
                let mut conn = sqlx::AnyConnection::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                Some(Self {
                    url: url.to_string(),
                    _dir: None,
                    postgres: Some((admin_url, name)),
                })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside async: a short-lived runtime on its own thread does the cleanup.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin_url).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&mut conn)
                            .await;
                    }
                });
            }
        })
        .join();
    }
}

fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub fn random_suffix() -> String {
    mcp_oauth::crypto::random_token(9)
        .to_lowercase()
        .replace(['-', '_'], "x")
}

/// Test settings: loopback on port 0, a known admin password, nothing from the real env.
pub fn test_settings(database_url: &str) -> Settings {
    let env = vec![
        (
            "MCP_OAUTH__SERVER__BIND".to_string(),
            "127.0.0.1:0".to_string(),
        ),
        (
            "MCP_OAUTH__DATABASE__URL".to_string(),
            database_url.to_string(),
        ),
        // Many apps share one test process: every listener takes a free port.
        (
            "MCP_OAUTH__METRICS__BIND".to_string(),
            "127.0.0.1:0".to_string(),
        ),
        (
            "MCP_OAUTH__DATABASE__MAX_CONNECTIONS".to_string(),
            "5".to_string(),
        ),
        (
            "MCP_OAUTH__BOOTSTRAP__ADMIN_PASSWORD".to_string(),
            ADMIN_PASSWORD.to_string(),
        ),
    ];
    Settings::load_from(&Overrides::default(), env).expect("test settings load")
}

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:PORT` of the metrics listener, when metrics are on.
    pub metrics_address: Option<String>,
    pub store: Store,
    pub auth: AuthServer,
    pub settings: Settings,
    pub http: reqwest::Client,
    _db: std::sync::Arc<TestDb>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// GETs `path` and returns its JSON body, whatever the status.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.http.get(self.url(path)).send().await.expect("request");
        response.json().await.expect("a JSON body")
    }

    /// POSTs a form and returns the status and JSON body (Null when the body is empty).
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
        let response = self
            .http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// A client-credentials access token (`scope` None: everything the client may have).
    pub async fn client_credentials_token(
        &self,
        client: (&str, &str),
        scope: Option<&str>,
    ) -> String {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", client.0),
            ("client_secret", client.1),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let (status, body) = self.post_form("/oauth/token", &form).await;
        assert_eq!(status, 200, "{body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// A code as the authorization endpoint would issue it, for the admin user.
    pub async fn issue_code(
        &self,
        client_id: &str,
        redirect_uri: &str,
        scope: &str,
        pkce: Option<(&str, &str)>,
    ) -> String {
        let admin = self
            .store
            .get_user_by_username("admin")
            .await
            .unwrap()
            .unwrap();
        self.auth
            .issue_code(CodeRequest {
                client_id: client_id.into(),
                user_id: admin.id,
                redirect_uri: redirect_uri.into(),
                scope: scope.into(),
                resource: self.settings.mcp_resource(),
                code_challenge: pkce.map(|(c, _)| c.to_string()),
                code_challenge_method: pkce.map(|(_, m)| m.to_string()),
            })
            .await
            .expect("code issued")
    }

    /// The audit events named `event`, waiting (at most 5 s) for the background writer to
    /// store `at_least` of them; panics when fewer arrive.
    pub async fn audit_events(
        &self,
        event: &str,
        at_least: usize,
    ) -> Vec<mcp_oauth::storage::AuditEvent> {
        for _ in 0..100 {
            let events: Vec<_> = self
                .store
                .audit_since(0, 1000)
                .await
                .expect("audit events")
                .into_iter()
                .filter(|e| e.event == event)
                .collect();
            if events.len() >= at_least {
                return events;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("fewer than {at_least} {event} events were audited");
    }

    /// Starts another instance on the same database (multi-instance tests).
    pub async fn another_instance(&self) -> TestApp {
        spawn_on(self.settings.clone(), self._db.clone()).await
    }
}

pub const CLAUDE: (&str, &str) = ("claude_ai_client", "claude_secret_key_2024");
pub const TEST_CLIENT: (&str, &str) = ("mcp_test_client", "test_secret_key_2024");
pub const CLAUDE_CALLBACK: &str = "https://claude.ai/oauth/callback";

/// Starts the app on a fresh database; `None` when the engine is unavailable.
pub async fn spawn_app(engine: Engine) -> Option<TestApp> {
    spawn_app_with(engine, |_| {}).await
}

pub async fn spawn_app_with(engine: Engine, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    let db = std::sync::Arc::new(TestDb::create(engine).await?);
    let mut settings = test_settings(&db.url);
    adjust(&mut settings);
    Some(spawn_on(settings, db).await)
}

/// Starts the app on a fresh database serving `catalog` instead of the built-in one.
pub async fn spawn_app_with_catalog(
    engine: Engine,
    catalog: mcp_oauth::mcp::Catalog,
) -> Option<TestApp> {
    let db = std::sync::Arc::new(TestDb::create(engine).await?);
    init_test_logging();
    let settings = test_settings(&db.url);
    let application = Application::build_with_catalog(settings.clone(), catalog)
        .await
        .expect("app builds");
    Some(start(application, settings, db))
}

/// Starts the app on a fresh database at a real loopback port that is also its public URL, so
/// a client following discovery (metadata, issuer, resource) reaches this very server.
pub async fn spawn_app_at_public_url(engine: Engine) -> Option<TestApp> {
    spawn_app_at_public_url_with(engine, |_| {}).await
}

/// [`spawn_app_at_public_url`] with settings adjusted first (`adjust` may run more than once).
pub async fn spawn_app_at_public_url_with(
    engine: Engine,
    adjust: impl Fn(&mut Settings),
) -> Option<TestApp> {
    let db = std::sync::Arc::new(TestDb::create(engine).await?);
    init_test_logging();
    // The port is free when reserved but could be taken before the app binds it: try again.
    let mut attempts = 0;
    loop {
        let port = free_loopback_port();
        let mut settings = test_settings(&db.url);
        settings.server.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        settings.server.public_url = format!("http://127.0.0.1:{port}");
        adjust(&mut settings);
        match Application::build(settings.clone()).await {
            Ok(application) => return Some(start(application, settings, db)),
            Err(error) if attempts < 5 => {
                attempts += 1;
                eprintln!("port {port} was taken ({error:#}); trying another");
            }
            Err(error) => panic!("app builds at a reserved port: {error:#}"),
        }
    }
}

/// A loopback port that was free a moment ago (bound, read, released).
pub fn free_loopback_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("reserve a loopback port")
        .port()
}

async fn spawn_on(settings: Settings, db: std::sync::Arc<TestDb>) -> TestApp {
    init_test_logging();
    let application = Application::build(settings.clone())
        .await
        .expect("app builds");
    start(application, settings, db)
}

fn start(application: Application, settings: Settings, db: std::sync::Arc<TestDb>) -> TestApp {
    let port = application.port();
    let metrics_address = application
        .metrics_port()
        .map(|p| format!("http://127.0.0.1:{p}"));
    let store = application.state().store.clone();
    let auth = application.state().auth.clone();
    tokio::spawn(application.run_until_stopped(std::future::pending()));
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        metrics_address,
        store,
        auth,
        settings,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("http client"),
        _db: db,
    }
}

fn init_test_logging() {
    if std::env::var("TEST_LOG").is_ok() {
        mcp_oauth::telemetry::init(mcp_oauth::config::LogFormat::Pretty, "info");
    }
}

/// Runs a test body on one engine, or reports (uncaptured) that Postgres is skipped.
pub async fn run_on<F, Fut>(engine: Engine, body: F)
where
    F: FnOnce(Engine) -> Fut,
    Fut: Future<Output = ()>,
{
    if engine == Engine::Postgres && postgres_url().is_none() {
        static NOTICE: Once = Once::new();
        NOTICE.call_once(|| {
            // Written to the raw handle so libtest's capture does not hide it.
            let _ = std::io::stderr().write_all(
                b"\n*** TEST_DATABASE_URL is not set: the Postgres cases are SKIPPED (SQLite ran). ***\n",
            );
        });
        return;
    }
    body(engine).await;
}

/// Runs each named `async fn(Engine)` as `<name>::sqlite` and `<name>::postgres`: the test
/// bodies are plain functions (rustfmt formats them); the macro writes only the two wrappers.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::helpers::run_on($crate::helpers::Engine::Sqlite, super::$name).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::helpers::run_on($crate::helpers::Engine::Postgres, super::$name).await
                }
            }
        )+
    };
}
