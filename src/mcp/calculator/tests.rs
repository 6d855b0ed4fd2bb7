//! The calculator's grammar, limits and formatting, as tables of inputs and answers.

use std::f64::consts::PI;

use super::*;
use proptest::prelude::*;

/// Each line is `input => expected value` or `input => expected error message`.
fn check(table: &str) {
    for line in table.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let (input, want) = line.split_once(" => ").expect("table line has ' => '");
        match (evaluate(input), want.parse::<f64>()) {
            (Ok(got), Ok(want)) => {
                let tolerance = 1e-12 * want.abs().max(1.0);
                assert!((got - want).abs() <= tolerance, "{input} = {got}");
            }
            (got, _) => assert_eq!(got.map_err(|e| e.to_string()), Err(want.into()), "{input}"),
        }
    }
}

#[test]
fn precedence_follows_school_arithmetic() {
    check(
        "1 + 2 * 3 => 7
         (1 + 2) * 3 => 9
         2 * 3 ^ 2 => 18
         7 % 3 + 1 => 2
         8 / 2 * 4 => 16",
    );
}

#[test]
fn power_is_right_associative_and_the_other_operators_left_associative() {
    check(
        "2^3^2 => 512
         (2^3)^2 => 64
         10 - 4 - 3 => 3
         100 / 10 / 2 => 5
         17 % 10 % 4 => 3",
    );
}

#[test]
fn unary_minus_binds_looser_than_power_but_may_appear_in_exponents() {
    check(
        "-2^2 => -4
         (-2)^2 => 4
         2^-1 => 0.5
         2^-2^2 => 0.0625
         --3 => 3
         +5 * -2 => -10
         3 - -3 => 6
         -7 % 3 => -1",
    );
}

#[test]
fn numbers_accept_fractions_and_exponent_notation() {
    check(
        "1.5 => 1.5
         .5 => 0.5
         7. => 7
         2e10 => 20000000000
         1.2E-3 => 0.0012
         3e+2 => 300
         1e-400 => 0",
    );
    assert_eq!(evaluate(&format!("0.{}1e500", "0".repeat(499))), Ok(1.0));
    assert_eq!(evaluate(" 1 +\t2\n"), Ok(3.0));
}

#[test]
fn functions_and_constants_compute_their_usual_values() {
    check(
        "sqrt(16) => 4
         abs(-3) => 3
         ln(e) + log10(1000) + log2(8) + exp(0) => 8
         sin(pi / 2) + cos(0) + tan(pi / 4) => 3
         asin(1) * 2 + acos(-1) + atan(1) * 4 => 9.42477796076938
         floor(-1.5) * 10 + ceil(1.2) => -18
         round(2.5) - round(-2.5) => 6
         min(3, 1, 2) + max(5) + max(1, 2 + 3, -4) => 11
         pow(2, 10) => 1024
         π - pi => 0
         e => 2.718281828459045",
    );
}

#[test]
fn division_by_zero_is_an_error_not_infinity() {
    check(
        "1 / (2 - 2) => division by zero at position 2
         5 % 0 => modulo by zero at position 2",
    );
    assert_eq!(evaluate("1 / 0").map_err(|e| e.position()), Err(Some(2)));
}

#[test]
fn non_finite_results_are_errors_even_in_the_middle() {
    check(
        "sqrt(-1) => result of 'sqrt' is not a real number at position 0
         ln(0) => result of 'ln' is infinite at position 0
         1e308 * 10 => result of '*' is infinite at position 6
         1 / exp(1000) => result of 'exp' is infinite at position 4
         0 ^ -1 => result of '^' is infinite at position 2
         1e999 => number too large at position 0",
    );
}

#[test]
fn unknown_names_and_wrong_argument_counts_are_errors_with_positions() {
    check(
        "1 + foo(2) => unknown function 'foo' at position 4
         PI => unknown identifier 'PI' at position 0
         sqrt(1, 2) => 'sqrt' takes exactly 1 argument but got 2 at position 0
         pow(1) => 'pow' takes exactly 2 arguments but got 1 at position 0
         min() => 'min' takes at least 1 argument but got 0 at position 0
         sqrt 4 => missing '(' after function 'sqrt' at position 0",
    );
    assert_eq!(evaluate("2 * x").map_err(|e| e.position()), Err(Some(4)));
}

#[test]
fn malformed_input_is_rejected_with_a_position() {
    check(
        "1 + => expected a number, name or '(' but found end of input at position 3
         (1 => expected ')' but found end of input at position 2
         1 ) => expected an operator but found ')' at position 2
         max(1,) => expected a number, name or '(' but found ')' at position 6
         1 # 2 => unexpected character '#' at position 2
         1 \u{202e} => unexpected character '\\u{202e}' at position 2",
    );
    let hint = "expected an operator but found 'pi' at position 2 (no implicit multiplication)";
    assert_eq!(evaluate("2 pi").unwrap_err().message(), hint);
    for input in ["2(3)", "2e", "1.2.3", "max(1 2)"] {
        let message = evaluate(input).unwrap_err().to_string();
        assert!(
            message.ends_with("(no implicit multiplication)"),
            "{message}"
        );
    }
    let empty = Err(("expression is empty".to_string(), None));
    for input in ["", " \t\n"] {
        assert_eq!(
            evaluate(input).map_err(|e| (e.to_string(), e.position())),
            empty
        );
    }
}

#[test]
fn length_limit_is_1000_characters_not_bytes() {
    assert_eq!(evaluate(&format!("{}1", " ".repeat(999))), Ok(1.0));
    assert_eq!(evaluate(&format!("π{}", " ".repeat(999))), Ok(PI));
    let too_long = evaluate(&format!("{}1", " ".repeat(1000))).unwrap_err();
    assert_eq!(
        too_long.message(),
        "expression is longer than 1000 characters"
    );
}

#[test]
fn nesting_is_limited_to_64_levels() {
    let nested = |open: &str, n: usize| format!("{}1{}", open.repeat(n), ")".repeat(n));
    assert_eq!(evaluate(&nested("(", 64)), Ok(1.0));
    assert_eq!(evaluate(&nested("abs(", 64)), Ok(1.0));
    assert_eq!(evaluate(&format!("{}1", "-".repeat(64))), Ok(1.0));
    for deep in [nested("(", 65), nested("sqrt(", 150), "-".repeat(999) + "1"] {
        let error = evaluate(&deep).unwrap_err().to_string();
        assert!(
            error.starts_with("nesting deeper than 64 levels at"),
            "{error}"
        );
    }
}

#[test]
fn deepest_allowed_nesting_fits_in_a_small_thread_stack() {
    // Calls are the deepest construct (~300 KiB unoptimised); std and tokio threads get 2 MiB.
    let deep = format!("{}1{}", "abs(".repeat(64), ")".repeat(64));
    let worker = std::thread::Builder::new().stack_size(512 * 1024);
    let result = worker.spawn(move || evaluate(&deep)).expect("spawn").join();
    assert_eq!(result.expect("no stack overflow"), Ok(1.0));
}

#[test]
fn format_number_drops_fractions_of_integers_and_hides_rounding_noise() {
    let cases = [
        (4.0, "4"),
        (-3.0, "-3"),
        (-0.0, "0"),
        (0.5, "0.5"),
        (0.1 + 0.2, "0.3"),
        (1e20, "1e20"),
        (1.5e-7, "1.5e-7"),
        (999_999_999_999_999.0, "999999999999999"),
    ];
    for (value, want) in cases {
        assert_eq!(format_number(value), want);
    }
    assert_eq!(evaluate(&format_number(f64::MAX)), Ok(f64::MAX));
}

fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        (0.0f64..1e6).prop_map(|x| x.to_string()),
        prop::sample::select(vec!["pi", "e", "1e300", ".5", "2E-3"]).prop_map(String::from),
    ];
    leaf.prop_recursive(6, 64, 3, |inner| {
        let op = prop::sample::select(vec!["+", "-", "*", "/", "%", "^"]);
        let func = prop::sample::select(vec!["sqrt", "ln", "exp", "tan", "asin", "round"]);
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(a, o, b)| format!("{a} {o} {b}")),
            inner.clone().prop_map(|a| format!("-({a})")),
            (func, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            prop::collection::vec(inner, 1..4).prop_map(|v| format!("max({})", v.join(", "))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,1200}") {
        let _ = evaluate(&s);
    }

    #[test]
    fn strings_of_calculator_symbols_never_panic(s in "[0-9a-z.E+*/%^(), -]{0,1200}") {
        let _ = evaluate(&s);
    }

    #[test]
    fn small_integer_arithmetic_is_exact(a in -10_000i64..10_000, b in -10_000i64..10_000) {
        prop_assert_eq!(evaluate(&format!("{a} + {b}")), Ok((a + b) as f64));
        prop_assert_eq!(evaluate(&format!("{a} - {b}")), Ok((a - b) as f64));
        prop_assert_eq!(evaluate(&format!("{a}*{b}")), Ok((a * b) as f64));
        if b != 0 {
            prop_assert_eq!(evaluate(&format!("{a} % {b}")), Ok((a % b) as f64));
        }
    }

    #[test]
    fn well_formed_expressions_give_a_finite_value_or_an_error(s in expression()) {
        if let Ok(v) = evaluate(&s) {
            prop_assert!(v.is_finite(), "{} gave {}", s, v);
        }
    }

    #[test]
    fn formatted_numbers_evaluate_back_to_almost_the_same_value(x in prop::num::f64::NORMAL) {
        let back = evaluate(&format_number(x));
        let close = back.clone().is_ok_and(|b| (b - x).abs() <= 1e-14 * x.abs());
        prop_assert!(close, "{} -> {:?}", x, back);
    }
}
