//! One integration-test binary: every feature's tests against the real HTTP surface.

mod helpers;

mod cli;
mod config;
mod health;
mod seeding;
