//! The coverage list of `ferrax::fft` (tests/golden/fft_coverage.txt, written by
//! tests/golden/fft_coverage.py from JAX 0.10.2's `jax.numpy.fft`): every public function of
//! `jnp.fft` is covered, and every covered name is a function of `ferrax::fft` (the list
//! below names each one, so it fails to compile if one goes missing).

/// The names of `ferrax::fft`'s functions, each checked to exist by the compiler.
macro_rules! names {
    ($($f:ident),* $(,)?) => {{
        $(let _ = ferrax::fft::$f;)*
        vec![$(stringify!($f)),*]
    }};
}

#[test]
fn every_jnp_fft_function_has_a_twin() {
    let ours = names!(
        fft, fft2, fftfreq, fftn, fftshift, hfft, ifft, ifft2, ifftn, ifftshift, ihfft, irfft,
        irfft2, irfftn, rfft, rfft2, rfftfreq, rfftn,
    );
    let text = include_str!("../golden/fft_coverage.txt");
    let mut listed = 0;
    for line in text.lines().skip(1) {
        let (state, name) = line
            .split_once(' ')
            .expect("`covered NAME` or `missing NAME`");
        assert_eq!(state, "covered", "{name} is not covered");
        assert!(
            ours.contains(&name),
            "{name} is listed covered but not checked here"
        );
        listed += 1;
    }
    assert_eq!(listed, ours.len());
    assert!(
        text.starts_with("# jax.numpy.fft 0.10.2: 18 public functions"),
        "{text}"
    );
}
