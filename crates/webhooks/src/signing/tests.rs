//! Unit tests: the reference libraries' published vectors, rotation, tampering, tolerance and
//! malformed input.

use super::*;

// The vector of the Python and JavaScript reference libraries' `test_sign_function`.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP: i64 = 1614265330;
const BODY: &[u8] = br#"{"test": 2432232314}"#;
const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// The Go reference library's `TestAsymmetricWebhookSign` (same message as above).
const ED_SEED: &str = "VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=";
const ED_SIGNATURE: &str =
    "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==";
// Its public key, derived independently with Python's `cryptography`.
const ED_PUBLIC: &str = "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=";

fn at(timestamp: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(timestamp).unwrap()
}

fn check(header: &str, keys: &[VerifyKey], id: &str, ts: i64, body: &[u8]) -> Result<(), VerifyError> {
    verify(header, keys, id, ts, body, at(TIMESTAMP), DEFAULT_TOLERANCE)
}

fn key(raw: &str) -> VerifyKey {
    VerifyKey::parse(raw).unwrap()
}

#[test]
fn hmac_signatures_match_the_reference_vectors() {
    let secret = SigningSecret::parse(SECRET).unwrap();
    assert_eq!(secret.sign(MSG_ID, TIMESTAMP, BODY), SIGNATURE);

    // The Rust reference library's `test_sign`.
    let other = SigningSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    assert_eq!(
        other.sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553, body),
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    );
}

#[test]
fn ed25519_signatures_match_the_reference_vector() {
    let secret = SigningSecret::parse(&format!("whsk_{ED_SEED}")).unwrap();

    assert_eq!(secret.sign(MSG_ID, TIMESTAMP, BODY), ED_SIGNATURE);
    assert_eq!(secret.public_key_string().as_deref(), Some(ED_PUBLIC));
    assert_eq!(*secret.to_secret_string(), format!("whsk_{ED_SEED}"));
    assert_eq!(check(ED_SIGNATURE, &[key(ED_PUBLIC)], MSG_ID, TIMESTAMP, BODY), Ok(()));
}

#[test]
fn the_reference_vectors_verify_and_unprefixed_or_unpadded_secrets_parse() {
    assert_eq!(check(SIGNATURE, &[key(SECRET)], MSG_ID, TIMESTAMP, BODY), Ok(()));
    // The reference libraries take a bare base64 secret as HMAC.
    assert_eq!(check(SIGNATURE, &[key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")], MSG_ID, TIMESTAMP, BODY), Ok(()));
    let padded = SigningSecret::generate_hmac().to_secret_string();
    let unpadded = padded.trim_end_matches('=');
    assert_ne!(unpadded, padded.as_str());
    let a = SigningSecret::parse(&padded).unwrap();
    let b = SigningSecret::parse(unpadded).unwrap();
    assert_eq!(a.sign("msg_1", 1, b"{}"), b.sign("msg_1", 1, b"{}"));
}

#[test]
fn generated_secrets_round_trip_through_their_string_forms() {
    let hmac = SigningSecret::generate_hmac();
    let SigningSecret::Hmac(bytes) = &hmac else { panic!("not HMAC") };
    assert_eq!(bytes.len(), 32);
    let text = hmac.to_secret_string();
    assert!(text.starts_with("whsec_") && text.len() == 6 + 44, "{}", *text);
    assert_eq!(hmac.public_key_string(), None);
    let parsed = SigningSecret::parse(&text).unwrap();
    assert_eq!(parsed.sign(MSG_ID, TIMESTAMP, BODY), hmac.sign(MSG_ID, TIMESTAMP, BODY));

    let ed = SigningSecret::generate_ed25519();
    let text = ed.to_secret_string();
    assert!(text.starts_with("whsk_") && text.len() == 5 + 44, "{}", *text);
    let parsed = SigningSecret::parse(&text).unwrap();
    assert_eq!(parsed.sign(MSG_ID, TIMESTAMP, BODY), ed.sign(MSG_ID, TIMESTAMP, BODY));
    let public = ed.public_key_string().unwrap();
    assert!(public.starts_with("whpk_"));
    let header = ed.sign(MSG_ID, TIMESTAMP, BODY);
    assert!(header.starts_with("v1a,"));
    assert_eq!(check(&header, &[key(&public)], MSG_ID, TIMESTAMP, BODY), Ok(()));
    assert_ne!(SigningSecret::generate_hmac().to_secret_string(), hmac.to_secret_string());
}

#[test]
fn a_rotation_header_carries_both_signatures_and_either_key_verifies_it() {
    let old = SigningSecret::generate_hmac();
    let new = SigningSecret::generate_ed25519();

    let header = signature_header(&[&old, &new], MSG_ID, TIMESTAMP, BODY);

    let parts: Vec<&str> = header.split(' ').collect();
    assert_eq!(parts, [old.sign(MSG_ID, TIMESTAMP, BODY), new.sign(MSG_ID, TIMESTAMP, BODY)]);
    assert_eq!(check(&header, &[old.verify_key()], MSG_ID, TIMESTAMP, BODY), Ok(()));
    assert_eq!(check(&header, &[new.verify_key()], MSG_ID, TIMESTAMP, BODY), Ok(()));
    let stranger = SigningSecret::generate_hmac().verify_key();
    assert_eq!(
        check(&header, std::slice::from_ref(&stranger), MSG_ID, TIMESTAMP, BODY),
        Err(VerifyError::NoMatchingSignature)
    );
    assert_eq!(check(&header, &[stranger, new.verify_key()], MSG_ID, TIMESTAMP, BODY), Ok(()));
}

#[test]
fn tampered_deliveries_and_wrong_keys_are_refused() {
    let no = Err(VerifyError::NoMatchingSignature);
    for (header, key) in [(SIGNATURE, key(SECRET)), (ED_SIGNATURE, key(ED_PUBLIC))] {
        let keys = [key];
        assert_eq!(check(header, &keys, MSG_ID, TIMESTAMP, br#"{"test": 2432232315}"#), no);
        assert_eq!(check(header, &keys, MSG_ID, TIMESTAMP + 1, BODY), no);
        assert_eq!(check(header, &keys, "msg_p5jXN8AQM9LWM0D4loKWxJel", TIMESTAMP, BODY), no);
        assert_eq!(check(header, &[], MSG_ID, TIMESTAMP, BODY), no);
    }
    let wrong_hmac = SigningSecret::generate_hmac().verify_key();
    let wrong_ed = SigningSecret::generate_ed25519().verify_key();
    assert_eq!(check(SIGNATURE, &[wrong_hmac], MSG_ID, TIMESTAMP, BODY), no);
    assert_eq!(check(ED_SIGNATURE, &[wrong_ed], MSG_ID, TIMESTAMP, BODY), no);
    // A signature only counts under its own version label.
    let relabelled = SIGNATURE.replacen("v1,", "v1a,", 1);
    assert_eq!(check(&relabelled, &[key(SECRET)], MSG_ID, TIMESTAMP, BODY), no);
    // The Python library's `test_invalid_signature_raises_error`: one changed character.
    let flipped = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=";
    assert_eq!(check(flipped, &[key(SECRET)], MSG_ID, TIMESTAMP, BODY), no);
}

#[test]
fn malformed_or_partial_signatures_never_match_but_do_not_hide_a_valid_one() {
    let keys = [key(SECRET)];
    let truncated = &SIGNATURE[..SIGNATURE.len() - 8];
    for header in ["", " ", "v1,", "v1", truncated, "v1,!!!!", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="] {
        assert_eq!(check(header, &keys, MSG_ID, TIMESTAMP, BODY), Err(VerifyError::NoMatchingSignature), "{header:?}");
    }
    // The reference libraries' multi-signature test, plus junk entries.
    let header = format!("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5 junk  v1,%% {SIGNATURE} v1a,AAAA");
    assert_eq!(check(&header, &keys, MSG_ID, TIMESTAMP, BODY), Ok(()));
}

#[test]
fn timestamps_more_than_the_tolerance_away_are_refused() {
    let keys = [key(SECRET)];
    let verify_at = |now: OffsetDateTime| verify(SIGNATURE, &keys, MSG_ID, TIMESTAMP, BODY, now, DEFAULT_TOLERANCE);

    assert_eq!(verify_at(at(TIMESTAMP + 300)), Ok(()));
    assert_eq!(verify_at(at(TIMESTAMP - 300)), Ok(()));
    assert_eq!(verify_at(at(TIMESTAMP + 301)), Err(VerifyError::TimestampTooOld));
    assert_eq!(
        verify_at(at(TIMESTAMP) + Duration::minutes(5) + Duration::milliseconds(1)),
        Err(VerifyError::TimestampTooOld)
    );
    assert_eq!(verify_at(at(TIMESTAMP - 301)), Err(VerifyError::TimestampTooNew));
    // Extreme timestamps neither overflow nor pass.
    for ts in [i64::MIN, i64::MAX] {
        assert!(verify(SIGNATURE, &keys, MSG_ID, ts, BODY, at(TIMESTAMP), DEFAULT_TOLERANCE).is_err());
    }
}

#[test]
fn malformed_secrets_and_keys_are_refused() {
    let parse = |raw: &str| SigningSecret::parse(raw).err();
    assert_eq!(parse("whsec_!!!notbase64"), Some(KeyError::Base64));
    assert_eq!(parse("whsec_MfKQ9r8G KYqrTwjUPD8ILPZIo2LaLaSw"), Some(KeyError::Base64));
    // 32 bytes of 7 end in `Bwc=`; `Bwd=` sets bits past the last byte.
    assert!(parse("whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=").is_none());
    assert_eq!(parse("whsec_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwd="), Some(KeyError::Base64));
    assert_eq!(parse(""), Some(KeyError::HmacLength(0)));
    assert_eq!(parse("whsec_"), Some(KeyError::HmacLength(0)));
    assert_eq!(parse(&format!("whsec_{}", STANDARD.encode([7u8; 23]))), Some(KeyError::HmacLength(23)));
    assert_eq!(parse(&format!("whsec_{}", STANDARD.encode([7u8; 65]))), Some(KeyError::HmacLength(65)));
    assert_eq!(parse(&format!("whsk_{}", STANDARD.encode([7u8; 31]))), Some(KeyError::Ed25519Length(31)));
    assert_eq!(parse(&format!("whsk_{}", STANDARD.encode([7u8; 64]))), Some(KeyError::Ed25519Length(64)));
    assert_eq!(parse("whsk_%%%"), Some(KeyError::Base64));
    assert_eq!(parse(ED_PUBLIC), Some(KeyError::PublicKeyCannotSign));
    assert!(SigningSecret::parse(&format!("whsec_{}", STANDARD.encode([7u8; 64]))).is_ok());

    let parse_key = |raw: &str| VerifyKey::parse(raw).err();
    assert_eq!(parse_key(&format!("whpk_{}", STANDARD.encode([7u8; 33]))), Some(KeyError::Ed25519Length(33)));
    assert_eq!(parse_key("whpk_***"), Some(KeyError::Base64));
    // The identity point is a small-order (weak) key.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(parse_key(&format!("whpk_{}", STANDARD.encode(identity))), Some(KeyError::InvalidPublicKey));
    assert_eq!(parse_key("whsec_"), Some(KeyError::HmacLength(0)));
    // A secret key also verifies, as in the Go library.
    assert!(matches!(VerifyKey::parse(&format!("whsk_{ED_SEED}")), Ok(VerifyKey::Ed25519(_))));
}

#[test]
fn debug_output_never_shows_secret_material() {
    let hmac = SigningSecret::parse(SECRET).unwrap();
    let ed = SigningSecret::parse(&format!("whsk_{ED_SEED}")).unwrap();
    for text in [format!("{hmac:?}"), format!("{ed:?}"), format!("{:?}", hmac.verify_key())] {
        assert!(!text.contains("MfKQ9r8G") && !text.contains(ED_SEED) && text.contains("redacted"), "{text}");
    }
    assert!(format!("{ed:?}").contains(ED_PUBLIC));
    assert_eq!(format!("{:?}", ed.verify_key()), format!("VerifyKey::Ed25519({ED_PUBLIC})"));
}
