//! Access tokens: EdDSA (Ed25519) JWTs with `kid`, verifiable by any JWT library
//! from the JWKS alone. Signing keys live in the database, sealed under the data
//! key, so every node signs and verifies with the same set; rotation keeps the
//! previous key verifying until the tokens it signed have expired.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signer;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use tessera_kernel::ids::{SessionId, UserId};
use tessera_kernel::{ApiError, Core, PlatformRole};
use utoipa::ToSchema;

use crate::entity::signing_keys::{self, Column, Entity};

pub(crate) const PURPOSE: &str = "identity.signing-key";

/// The claims of an access token.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: UserId,
    /// The session id.
    pub sid: SessionId,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// A unique id of this token.
    pub jti: String,
    /// The platform role when the token was issued.
    pub role: PlatformRole,
}

struct Key {
    decoding: DecodingKey,
    public_x: String,
}

struct KeySet {
    /// The key that signs: its JWS header (base64url, with its `kid`) and the key.
    current: Option<(String, SigningKey)>,
    keys: HashMap<String, Key>,
    loaded: Instant,
}

/// Signs and verifies access tokens.
pub struct Tokens {
    core: Core,
    issuer: String,
    audience: String,
    ttl_secs: i64,
    set: RwLock<Arc<KeySet>>,
    validation: Validation,
    /// Verified tokens, so a token is checked cryptographically once, not per request.
    verified: moka::sync::Cache<String, Arc<Claims>>,
    /// Key ids looked up and not found.
    unknown_kids: moka::sync::Cache<String, ()>,
}

impl Tokens {
    pub(crate) async fn new(core: Core, issuer: String, audience: String, ttl_secs: i64) -> Result<Self, ApiError> {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer.as_str()]);
        validation.set_audience(&[audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Time claims are checked against the application clock below.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        let empty = KeySet { current: None, keys: HashMap::new(), loaded: Instant::now() };
        let tokens = Self {
            core,
            issuer,
            audience,
            ttl_secs,
            set: RwLock::new(Arc::new(empty)),
            validation,
            verified: moka::sync::Cache::builder().max_capacity(100_000).time_to_live(Duration::from_secs(60)).build(),
            unknown_kids: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
        };
        tokens.reload().await?;
        if tokens.keyset().current.is_none() {
            tokens.rotate().await?;
        }
        Ok(tokens)
    }

    pub(crate) fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    fn keyset(&self) -> Arc<KeySet> {
        self.set.read().map(|s| s.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Re-reads the keys from the database: the current one and those retired
    /// recently enough that tokens they signed may still be unexpired.
    pub(crate) async fn reload(&self) -> Result<(), ApiError> {
        let horizon = self.core.clock.now_ms() - (self.ttl_secs + 120) * 1000;
        use sea_orm::ExprTrait;
        let rows = Entity::find()
            .filter(Column::RetiredAt.is_null().or(Column::RetiredAt.gt(horizon)))
            .order_by_asc(Column::CreatedAt)
            .all(&self.core.db.conn)
            .await?;
        let mut keys = HashMap::new();
        let mut current = None;
        for row in rows {
            let decoding = DecodingKey::from_ed_components(&row.public_x).map_err(ApiError::internal)?;
            if row.retired_at.is_none() {
                let der = self.core.keyring.open(PURPOSE, &row.private_sealed).map_err(ApiError::internal)?;
                let key = SigningKey::from_pkcs8_der(&der).map_err(ApiError::internal)?;
                let header = serde_json::json!({ "typ": "JWT", "alg": "EdDSA", "kid": row.kid });
                current = Some((URL_SAFE_NO_PAD.encode(header.to_string()), key));
            }
            keys.insert(row.kid.clone(), Key { decoding, public_x: row.public_x });
        }
        let set = Arc::new(KeySet { current, keys, loaded: Instant::now() });
        if let Ok(mut guard) = self.set.write() {
            *guard = set;
        }
        Ok(())
    }

    /// Makes a new signing key current; the previous one keeps verifying.
    pub(crate) async fn rotate(&self) -> Result<String, ApiError> {
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        rand::fill(&mut seed[..]);
        let signing = SigningKey::from_bytes(&seed);
        let der = signing.to_pkcs8_der().map_err(ApiError::internal)?;
        let public_x = URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes());
        let now = self.core.clock.now_ms();
        // 96 random bits: two nodes rotating in the same millisecond never collide
        // (a UUIDv7 prefix is mostly its timestamp).
        let mut id = [0u8; 12];
        rand::fill(&mut id[..]);
        let kid = format!("k{}", URL_SAFE_NO_PAD.encode(id));
        let txn = self.core.db.begin_write().await?;
        Entity::update_many()
            .col_expr(Column::RetiredAt, sea_orm::sea_query::Expr::value(Some(now)))
            .filter(Column::RetiredAt.is_null())
            .exec(&*txn)
            .await?;
        signing_keys::ActiveModel {
            kid: Set(kid.clone()),
            algorithm: Set("EdDSA".into()),
            private_sealed: Set(self.core.keyring.seal(PURPOSE, der.as_bytes())),
            public_x: Set(public_x),
            created_at: Set(now),
            retired_at: Set(None),
        }
        .insert(&*txn)
        .await?;
        txn.commit().await?;
        self.reload().await?;
        Ok(kid)
    }

    /// Signs an access token for a session.
    pub(crate) fn issue(
        &self,
        user: UserId,
        session: SessionId,
        role: PlatformRole,
    ) -> Result<(String, Claims), ApiError> {
        let now = self.core.clock.now_secs();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user,
            sid: session,
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs,
            jti: uuid::Uuid::now_v7().to_string(),
            role,
        };
        Ok((self.sign(&claims)?, claims))
    }

    /// Signs `claims` with the current key.
    pub(crate) fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        let set = self.keyset();
        let Some((header, key)) = &set.current else {
            return Err(ApiError::internal("no signing key"));
        };
        // A compact JWS (RFC 7515) signed with the key held in memory; the library's
        // encoder would decode the PKCS#8 key, and derive its public half, per token.
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).map_err(ApiError::internal)?);
        let input = format!("{header}.{payload}");
        let signature = key.sign(input.as_bytes());
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes())))
    }

    /// Verifies signature, issuer, audience and times. Expired tokens answer
    /// `TOKEN_EXPIRED`; every other failure `UNAUTHORIZED`.
    pub(crate) async fn verify(&self, token: &str) -> Result<Arc<Claims>, ApiError> {
        let claims = match self.verified.get(token) {
            Some(c) => c,
            None => {
                let c = Arc::new(self.verify_signature(token).await?);
                self.verified.insert(token.to_owned(), c.clone());
                c
            }
        };
        let now = self.core.clock.now_secs();
        if claims.exp <= now {
            return Err(ApiError::token_expired());
        }
        // A little leeway for clocks of other nodes that signed the token.
        if claims.nbf > now + 30 || claims.iat > now + 30 {
            return Err(invalid("the token is not valid yet"));
        }
        Ok(claims)
    }

    async fn verify_signature(&self, token: &str) -> Result<Claims, ApiError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("the token is malformed"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(invalid("the token algorithm is not accepted"));
        }
        let kid = header.kid.ok_or_else(|| invalid("the token has no key id"))?;
        let mut set = self.keyset();
        if !set.keys.contains_key(&kid) && self.is_new_key(&kid).await? {
            // Another node rotated keys since we last looked.
            self.reload().await?;
            set = self.keyset();
        }
        let key = set.keys.get(&kid).ok_or_else(|| invalid("the token was signed by an unknown key"))?;
        jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation).map(|data| data.claims).map_err(|e| {
            match e.kind() {
                ErrorKind::InvalidIssuer => invalid("the token has the wrong issuer"),
                ErrorKind::InvalidAudience => invalid("the token has the wrong audience"),
                ErrorKind::InvalidSignature => invalid("the token signature is invalid"),
                _ => invalid("the token is invalid"),
            }
        })
    }

    /// Whether `kid` names a key in the database this node has not loaded yet.
    /// Unknown ids are remembered for a minute, so made-up ones cost one lookup each.
    async fn is_new_key(&self, kid: &str) -> Result<bool, ApiError> {
        if kid.len() > 64 || self.unknown_kids.contains_key(kid) {
            return Ok(false);
        }
        let found = Entity::find_by_id(kid.to_owned()).one(&self.core.db.conn).await?.is_some();
        if !found {
            self.unknown_kids.insert(kid.to_owned(), ());
        }
        Ok(found)
    }

    /// The JSON Web Key Set of every key that may have signed a live token.
    pub(crate) fn jwks(&self) -> serde_json::Value {
        let set = self.keyset();
        let mut keys: Vec<_> = set
            .keys
            .iter()
            .map(|(kid, k)| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                    "kid": kid, "x": k.public_x,
                })
            })
            .collect();
        keys.sort_by(|a, b| b["kid"].as_str().cmp(&a["kid"].as_str()));
        serde_json::json!({ "keys": keys })
    }

    /// Reloads keys when the cached set is older than `max_age` (a background task calls this).
    pub(crate) async fn refresh_if_older(&self, max_age: Duration) {
        if self.keyset().loaded.elapsed() >= max_age
            && let Err(e) = self.reload().await
        {
            tracing::warn!(error = %e, "reloading signing keys failed");
        }
    }
}

fn invalid(message: &'static str) -> ApiError {
    ApiError::unauthorized(message)
}
