//! Times one argon2id hash, single-threaded, with the same crate, version and
//! construction tessera's identity module uses (crates/identity/src/password.rs):
//! `Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(m, t, p, None))`
//! then `PasswordHasher::hash_password`. Also times `verify_password` (what a
//! sign-in costs). Prints one JSON line.
//!
//! Usage: hashtime [--m KIB] [--t ITER] [--p LANES] [--n COUNT] [--warmup COUNT]

use std::process::ExitCode;
use std::time::Instant;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version};

struct Opts {
    m: u32,
    t: u32,
    p: u32,
    n: usize,
    warmup: usize,
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts { m: 19456, t: 2, p: 1, n: 30, warmup: 3 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        let small = |v: &str| u32::try_from(num(v)?).map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--m" => o.m = small(&value)?,
            "--t" => o.t = small(&value)?,
            "--p" => o.p = small(&value)?,
            "--n" => o.n = usize::try_from(num(&value)?).map_err(|e| e.to_string())?.max(1),
            "--warmup" => o.warmup = usize::try_from(num(&value)?).map_err(|e| e.to_string())?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(o)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn run(o: &Opts) -> Result<String, String> {
    let params = Params::new(o.m, o.t, o.p, None).map_err(|e| e.to_string())?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let password = b"bench password 12345 xyz";
    let mut stored = String::new();
    for _ in 0..o.warmup {
        stored = argon.hash_password(password).map_err(|e| e.to_string())?.to_string();
    }
    let mut hash_ms = Vec::with_capacity(o.n);
    for _ in 0..o.n {
        let t0 = Instant::now();
        let h = argon.hash_password(password).map_err(|e| e.to_string())?;
        hash_ms.push(t0.elapsed().as_secs_f64() * 1e3);
        stored = h.to_string();
    }
    let parsed = PasswordHash::new(&stored).map_err(|e| e.to_string())?;
    let mut verify_ms = Vec::with_capacity(o.n);
    for _ in 0..o.n {
        let t0 = Instant::now();
        argon.verify_password(password, &parsed).map_err(|e| e.to_string())?;
        verify_ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let min = hash_ms.iter().copied().fold(f64::INFINITY, f64::min);
    let max = hash_ms.iter().copied().fold(0.0, f64::max);
    let mean = hash_ms.iter().sum::<f64>() / hash_ms.len() as f64;
    let hash_median = median(&mut hash_ms);
    let verify_median = median(&mut verify_ms);
    Ok(format!(
        concat!(
            "{{\"algorithm\":\"argon2id\",\"version\":\"0x13\",\"m_kib\":{},\"t\":{},\"p\":{},",
            "\"n\":{},\"hash_ms_median\":{:.3},\"hash_ms_min\":{:.3},\"hash_ms_max\":{:.3},",
            "\"hash_ms_mean\":{:.3},\"verify_ms_median\":{:.3}}}"
        ),
        o.m, o.t, o.p, o.n, hash_median, min, max, mean, verify_median
    ))
}

fn main() -> ExitCode {
    match parse().and_then(|o| run(&o)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hashtime: {e}");
            ExitCode::FAILURE
        }
    }
}
