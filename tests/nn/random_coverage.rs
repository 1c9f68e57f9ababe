//! tests/golden/random_coverage.txt (written by tests/golden/random_coverage.py from
//! `dir(jax.random)`) against ferrax::random: every name it calls covered exists here, and
//! the sampler coverage stays at or above 90%.

use ferrax::random;

/// Naming each function (`let _ = random::f;`) proves at compile time that it exists.
macro_rules! twins {
    ($($jax:literal => $f:ident),* $(,)?) => {
        vec![$({
            let _ = random::$f;
            $jax
        }),*]
    };
}

/// ferrax::random's twins, by JAX name.
fn twins() -> Vec<&'static str> {
    twins![
        "ball" => ball,
        "bernoulli" => bernoulli,
        "beta" => beta,
        "binomial" => binomial,
        "bits" => bits,
        "categorical" => categorical,
        "cauchy" => cauchy,
        "chisquare" => chisquare,
        "choice" => choice,
        "dirichlet" => dirichlet,
        "double_sided_maxwell" => double_sided_maxwell,
        "exponential" => exponential,
        "f" => f,
        "gamma" => gamma,
        "generalized_normal" => generalized_normal,
        "geometric" => geometric,
        "gumbel" => gumbel,
        "laplace" => laplace,
        "loggamma" => loggamma,
        "logistic" => logistic,
        "lognormal" => lognormal,
        "maxwell" => maxwell,
        "multinomial" => multinomial,
        "multivariate_normal" => multivariate_normal,
        "normal" => normal,
        "orthogonal" => orthogonal,
        "pareto" => pareto,
        "permutation" => permutation,
        "poisson" => poisson,
        "rademacher" => rademacher,
        "randint" => randint,
        "rayleigh" => rayleigh,
        "t" => t,
        "triangular" => triangular,
        "truncated_normal" => truncated_normal,
        "uniform" => uniform,
        "wald" => wald,
        "weibull_min" => weibull_min,
        "PRNGKey" => prng_key,
        "key" => key,
        "split" => split,
        "fold_in" => fold_in,
    ]
}

#[test]
fn every_covered_jax_random_name_exists() {
    let text = include_str!("../golden/random_coverage.txt");
    let twins = twins();
    let mut covered = 0;
    let mut samplers = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut words = line.split_whitespace();
        let status = words.next().unwrap();
        let name = words.next().unwrap();
        let is_key = [
            "PRNGKey",
            "key",
            "split",
            "fold_in",
            "clone",
            "key_data",
            "key_dtype",
        ]
        .contains(&name)
            || name == "key_impl"
            || name == "wrap_key_data";
        if !is_key {
            samplers += 1;
        }
        match status {
            "covered" => {
                assert!(
                    twins.contains(&name),
                    "random_coverage.txt calls {name} covered, but ferrax::random has no twin"
                );
                if !is_key {
                    covered += 1;
                }
            }
            "missing" => assert!(
                line.contains(" -- "),
                "random_coverage.txt: {name} is missing without a reason"
            ),
            s => panic!("random_coverage.txt: unknown status {s}"),
        }
    }
    assert_eq!(samplers, 38, "jax.random 0.10.2 has 38 samplers");
    assert!(
        covered * 10 >= samplers * 9,
        "sampler coverage {covered}/{samplers} is below 90%"
    );
    let first = text.lines().next().unwrap();
    assert!(first.contains(&format!("covers {covered} ")), "{first}");
}
