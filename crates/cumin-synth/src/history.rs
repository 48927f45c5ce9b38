//! One child's life from six months before birth to the 18th birthday: where they live,
//! and every referral with what came of it.

use crate::frailty::Frailty;
use crate::mechanism::{self, LaEffect};
use crate::params::SimParams;
use cumin_census::{Date, Sex};
use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

pub use crate::child::{
    Birthdays, Child, PREBIRTH_DAYS, REFERRAL_SOURCES, Stint, TrueEpisode, birthday,
};

/// Draws the first time after `from` at which a piecewise-constant hazard fires: `rate(a)`
/// per year over age-year `a` (birthday to birthday), up to the 18th birthday.
fn next_event(
    rng: &mut ChaCha8Rng,
    birthdays: &Birthdays,
    from: Date,
    rate: impl Fn(usize) -> f64,
) -> Option<Date> {
    let bd = &birthdays.days;
    let mut need: f64 = -rng.random::<f64>().max(f64::MIN_POSITIVE).ln();
    let mut t = from.days().max(bd[0]);
    // The age-year holding `t`: the last birthday on or before it.
    let mut age = bd.partition_point(|b| *b <= t) - 1;
    while age < 18 {
        let next_birthday = bd[age + 1];
        let per_day = rate(age) / 365.25;
        let span = f64::from(next_birthday - t);
        if per_day * span >= need {
            let days = (need / per_day).floor() as i32;
            return Date::from_days(t + days);
        }
        need -= per_day * span;
        t = next_birthday;
        age += 1;
    }
    None
}

fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// Picks an index by cumulative weights (binary search).
pub fn pick_cumulative(rng: &mut ChaCha8Rng, cumulative: &[f64]) -> usize {
    let u = rng.random::<f64>() * cumulative.last().copied().unwrap_or(1.0);
    cumulative
        .partition_point(|c| *c <= u)
        .min(cumulative.len() - 1)
}

fn uniform_days(rng: &mut ChaCha8Rng, lo: i32, hi: i32) -> i32 {
    rng.random_range(lo..=hi)
}

/// Shared, precomputed pieces of the model.
pub struct Model<'a> {
    /// The parameters.
    pub params: &'a SimParams,
    /// Cumulative LA sizes, for picking an LA.
    pub la_cumulative: Vec<f64>,
    /// Cumulative ethnicity shares.
    pub ethnicity_cumulative: Vec<f64>,
    /// Frailty (mean 1).
    pub frailty: Frailty,
    /// With the mixture's high-risk share by decile: each decile's frailty (mean 1).
    pub frailty_by_decile: Option<[Frailty; 10]>,
    /// Length of a child-in-need episode.
    pub cin_days: LogNormal<f64>,
    /// Length of a plan.
    pub cpp_days: LogNormal<f64>,
    /// Cumulative weights of the first LA of a child arriving from abroad.
    pub in_la_cumulative: Vec<f64>,
    /// Weights of the IDACI decile of a child arriving from abroad.
    pub in_decile_weights: [f64; 10],
}

impl<'a> Model<'a> {
    /// Precomputes the model for `params`.
    pub fn new(params: &'a SimParams) -> Model<'a> {
        // LA sizes: a smooth spread from about 1/10 to 3x the average, as English LAs are.
        let n = usize::from(params.n_las);
        let sizes: Vec<f64> = (0..n)
            .map(|i| {
                let x = (i as f64 + 0.5) / n as f64;
                (-(1.0 - x).ln()).powf(1.3) + 0.1
            })
            .collect();
        let cumulative = |w: &[f64]| {
            w.iter()
                .scan(0.0, |acc, x| {
                    *acc += x;
                    Some(*acc)
                })
                .collect::<Vec<f64>>()
        };
        let eth: Vec<f64> = params.ethnicity_share.iter().map(|(_, s)| *s).collect();
        let m = &params.migration;
        let in_sizes: Vec<f64> = sizes.iter().map(|s| s.powf(m.in_la_power)).collect();
        let mut in_decile_weights = [0.0; 10];
        for (d, w) in in_decile_weights.iter_mut().enumerate() {
            *w = params.decile_share[d] * m.in_decile_ratio[d];
        }
        Model {
            params,
            in_la_cumulative: cumulative(&in_sizes),
            in_decile_weights,
            la_cumulative: cumulative(&sizes),
            ethnicity_cumulative: cumulative(&eth),
            frailty: params
                .frailty_distribution()
                .expect("parameters are validated before a model is built"),
            frailty_by_decile: params
                .mixture_by_decile()
                .expect("parameters are validated before a model is built"),
            cin_days: LogNormal::new(params.cin_median_days.ln(), 0.9).expect("valid lognormal"),
            cpp_days: LogNormal::new(params.cpp_median_days.ln(), 0.7).expect("valid lognormal"),
        }
    }

    /// LA code of LA number `i` (codes 201.. as English LA codes run).
    pub fn la_code(&self, i: usize) -> u16 {
        201 + i as u16
    }

    /// The random streams of child `index`: its life, and (apart, so that they are drawn
    /// only for children who need them) its moves.
    pub fn streams(&self, index: u64) -> (ChaCha8Rng, ChaCha8Rng) {
        let mut life = ChaCha8Rng::seed_from_u64(self.params.seed);
        life.set_stream(index);
        let mut moves = life.clone();
        moves.set_stream(index | 1 << 63);
        (life, moves)
    }

    /// Where a child lives from six months before birth (or from its arrival in England)
    /// to 18, drawn from its own stream.
    fn stints(
        &self,
        rng: &mut ChaCha8Rng,
        birthdays: &Birthdays,
        arrival: Option<Date>,
    ) -> Vec<Stint> {
        let p = self.params;
        let dob = birthdays.at(0);
        let mut stints = vec![match arrival {
            None => Stint {
                la: self.la_code(pick_cumulative(rng, &self.la_cumulative)),
                from: dob.add_days(-PREBIRTH_DAYS),
            },
            Some(day) => Stint {
                la: self.la_code(pick_cumulative(rng, &self.in_la_cumulative)),
                from: day,
            },
        }];
        let move_rate = |a: usize| {
            let q = if a < 5 {
                p.move_rate_under5
            } else {
                p.move_rate_5plus
            };
            -(1.0 - q.min(0.999)).ln()
        };
        let mut t = arrival.unwrap_or(dob);
        while let Some(when) = next_event(rng, birthdays, t, move_rate) {
            let current = stints.last().expect("at least one stint").la;
            let mut la = current;
            while la == current && p.n_las > 1 {
                la = self.la_code(pick_cumulative(rng, &self.la_cumulative));
            }
            stints.push(Stint { la, from: when });
            t = when.add_days(1);
        }
        stints
    }

    /// Simulates child `index` of `cohort`, born in England. Children never referred get
    /// no stints: where they live matters to nothing the extract or the truth holds.
    pub fn child(&self, index: u64, cohort: i16) -> Child {
        self.life(index, cohort, false)
    }

    /// Simulates child `index` of `cohort`, born abroad and arriving in England during
    /// an age-year drawn with weights `migration.in_per_1000` (uniformly within it). Its
    /// history starts at arrival: no pre-birth referral, none before, and its first
    /// referral here is a first referral (the re-referral ratio applies after it).
    pub fn in_migrant(&self, index: u64, cohort: i16) -> Child {
        self.life(index, cohort, true)
    }

    // One child's life in time order, drawing from one random stream: splitting it would
    // have to pass the stream and the child's state between the pieces.
    #[allow(clippy::too_many_lines)]
    fn life(&self, index: u64, cohort: i16, arrives: bool) -> Child {
        let p = self.params;
        let (mut life, mut moves) = self.streams(index);
        let rng = &mut life;
        let first = Date::ymd(i32::from(cohort) - 1, 4, 1);
        let days_in_year = Date::ymd(i32::from(cohort), 4, 1).days_since(first);
        let dob = first.add_days(rng.random_range(0..days_in_year));
        let birthdays = Birthdays::new(dob);
        let arrival = arrives.then(|| {
            let age = pick(rng, &p.migration.in_per_1000);
            let (from, to) = (birthdays.days[age], birthdays.days[age + 1]);
            Date::from_days(rng.random_range(from..to)).expect("arrival within childhood")
        });
        let sex = if rng.random::<f64>() < p.male_share {
            Sex::Male
        } else {
            Sex::Female
        };
        let ethnicity = pick_cumulative(rng, &self.ethnicity_cumulative) as u8;
        let decile = if arrives {
            pick(rng, &self.in_decile_weights) as u8 + 1
        } else {
            pick(rng, &p.decile_share) as u8 + 1
        };
        let has_pmr = rng.random::<f64>() < p.p_ever_pmr;
        // One draw whatever the form, so the switch changes nothing else of the child.
        let frailty = match &self.frailty_by_decile {
            Some(by) => by[usize::from(decile - 1)].sample(rng),
            None => self.frailty.sample(rng),
        };
        let ratio = p.decile_referral_ratio[usize::from(decile - 1)] * frailty;
        let mut child = Child {
            index,
            cohort,
            dob,
            sex,
            ethnicity,
            decile,
            has_pmr,
            stints: Vec::new(),
            episodes: Vec::new(),
            arrival,
            departure: None,
        };

        let eighteen = birthdays.eighteenth();
        let mut referred_before = false;
        let mut next_start = child.resident_from();
        let mut forced: Option<Date> = None;
        if !arrives {
            let prebirth_p =
                1.0 - (-p.prebirth_hazard * ratio * f64::from(PREBIRTH_DAYS) / 365.25).exp();
            if rng.random::<f64>() < prebirth_p {
                forced = Some(dob.add_days(-uniform_days(rng, 1, PREBIRTH_DAYS)));
            }
        }
        loop {
            let referral = if let Some(d) = forced.take() {
                d
            } else {
                let rr = if referred_before {
                    p.rereferral_ratio
                } else {
                    1.0
                };
                match next_event(rng, &birthdays, next_start, |a| {
                    p.referral_hazard[a] * ratio * rr
                }) {
                    Some(d) => d,
                    None => break,
                }
            };
            if referral >= eighteen {
                break;
            }
            if child.stints.is_empty() {
                child.stints = self.stints(&mut moves, &birthdays, arrival);
            }
            let stints = &child.stints;
            referred_before = true;
            let stint = stints.iter().rposition(|s| s.from <= referral).unwrap_or(0);
            let mut e = self.episode(rng, referral, decile, stints[stint].la);
            // Never past the 18th birthday: transferred to adult services.
            if e.closure >= eighteen {
                e.closure = eighteen.add_days(-1);
                e.reason = 6;
                let closure = e.closure;
                clip_after(&mut e, closure);
            }
            e.stint = stint as u16;
            // A move while the episode is open closes it as a transfer (RC5); the new LA
            // often opens a referral within weeks.
            if let Some(mv) = stints
                .iter()
                .skip(usize::from(e.stint) + 1)
                .find(|s| s.from > referral && s.from < e.closure)
            {
                e.closure = mv.from;
                e.reason = 5;
                clip_after(&mut e, mv.from);
                if rng.random::<f64>() < p.p_transfer_referral {
                    forced = Some(mv.from.add_days(uniform_days(rng, 14, 56)));
                }
            }
            next_start = e.closure.add_days(1);
            if let Some(f) = forced
                && f <= e.closure
            {
                forced = Some(e.closure.add_days(1));
            }
            child.episodes.push(e);
        }
        child
    }

    /// Draws whether and when `child` leaves England before 18 (departures per year
    /// `migration.out_per_1000[age] / 1000 × out_decile_ratio[decile]`, from birth or
    /// arrival), from a stream of its own so that nothing else about the child changes,
    /// and cuts its history there (see [`leave`]).
    pub fn emigrate(&self, child: &mut Child) {
        let m = &self.params.migration;
        let mut rng = ChaCha8Rng::seed_from_u64(self.params.seed);
        rng.set_stream(child.index | 1 << 62);
        let birthdays = Birthdays::new(child.dob);
        let ratio = m.out_decile_ratio[usize::from(child.decile - 1)];
        let from = child.arrival.unwrap_or(child.dob);
        if let Some(day) = next_event(&mut rng, &birthdays, from, |a| {
            m.out_per_1000[a] / 1000.0 * ratio
        }) {
            leave(child, day);
        }
    }

    /// What comes of one referral to LA `la`.
    fn episode(&self, rng: &mut ChaCha8Rng, referral: Date, decile: u8, la: u16) -> TrueEpisode {
        let p = self.params;
        let m = &p.mechanism;
        let p_nfa = mechanism::in_la(p.p_nfa, p.seed, la, LaEffect::Nfa, m.la_nfa_sd);
        let p_rc8 = mechanism::in_la(p.p_rc8, p.seed, la, LaEffect::Rc8, m.la_rc8_sd);
        let mut e = TrueEpisode {
            referral,
            closure: referral,
            nfa: false,
            reason: 8,
            assessment: None,
            s47: None,
            icpc: None,
            cpp_start: None,
            cpp_end: None,
            stint: 0,
            source: rng.random_range(0..REFERRAL_SOURCES.len() as u8),
            need: rng.random_range(1..=9),
        };
        if rng.random::<f64>() < p_nfa {
            e.nfa = true;
            e.need = 0;
            e.closure = referral.add_days(uniform_days(rng, 0, 14));
            return e;
        }
        let assessment = referral.add_days(uniform_days(rng, 0, 10));
        e.assessment = Some(assessment);
        if rng.random::<f64>() < p_rc8 {
            e.closure = assessment.add_days(uniform_days(rng, 10, 45));
            e.reason = 8;
            return e;
        }
        e.reason =
            [1u8, 2, 3, 4, 6, 7, 9][pick(rng, &[0.01, 0.005, 0.05, 0.02, 0.02, 0.85, 0.045])];
        let length = self.cin_days.sample(rng).clamp(20.0, 3000.0) as i32;
        e.closure = assessment.add_days(length);
        let protection = p.p_s47 * p.decile_protection_ratio[usize::from(decile - 1)];
        if rng.random::<f64>() < protection.min(1.0) {
            let s47 = referral.add_days(uniform_days(rng, 1, 30));
            e.s47 = Some(s47);
            if rng.random::<f64>() < p.p_icpc {
                let icpc = s47.add_days(uniform_days(rng, 5, 15));
                e.icpc = Some(icpc);
                if rng.random::<f64>() < p.p_cpp {
                    let end = icpc.add_days(self.cpp_days.sample(rng).clamp(30.0, 2500.0) as i32);
                    e.cpp_start = Some(icpc);
                    e.cpp_end = Some(end);
                    e.need = 1;
                    e.closure = e.closure.max(end.add_days(uniform_days(rng, 30, 180)));
                }
            }
        }
        e
    }
}

/// The child leaves England on `day`: referrals from then on are dropped, an episode still
/// open closes the day before (`RC5`, the case passing to services elsewhere; an
/// assessment that had already ended in no further action keeps `RC8`), and so do the
/// LA stints that start from then on.
pub fn leave(child: &mut Child, day: Date) {
    child.departure = Some(day);
    child.episodes.retain(|e| e.referral < day);
    child.stints.retain(|s| s.from < day);
    let last_day = day.add_days(-1);
    if let Some(e) = child.episodes.last_mut()
        && e.closure > last_day
    {
        e.closure = last_day;
        clip_after(e, last_day);
        let rc8 = e.reason == 8 && e.assessment.is_some() && e.cpp_start.is_none();
        if !e.nfa && !rc8 {
            e.reason = 5;
        }
    }
}

/// Drops the parts of an episode that would fall after an early closure.
fn clip_after(e: &mut TrueEpisode, closure: Date) {
    let clip = |d: &mut Option<Date>| {
        if d.is_some_and(|d| d > closure) {
            *d = None;
        }
    };
    clip(&mut e.assessment);
    clip(&mut e.s47);
    clip(&mut e.icpc);
    clip(&mut e.cpp_start);
    if e.cpp_start.is_none() {
        e.cpp_end = None;
    } else if e.cpp_end.is_some_and(|d| d > closure) {
        e.cpp_end = Some(closure);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_well_formed() {
        let params = SimParams::default();
        let model = Model::new(&params);
        for i in 0..2000u64 {
            let c = model.child(i, 2013);
            assert_eq!(c.dob.financial_year(), 2013);
            let eighteen = birthday(c.dob, 18);
            let mut last_closure: Option<Date> = None;
            for e in &c.episodes {
                assert!(e.referral >= c.dob.add_days(-PREBIRTH_DAYS));
                assert!(e.closure >= e.referral && e.closure < eighteen);
                if let Some(lc) = last_closure {
                    assert!(e.referral > lc, "episodes do not overlap");
                }
                last_closure = Some(e.closure);
                if e.nfa {
                    assert!(e.assessment.is_none() && e.cpp_start.is_none());
                }
                if let Some(s) = e.cpp_start {
                    assert!(s >= e.referral && s <= e.closure);
                }
                let s = c.stints[usize::from(e.stint)];
                assert!(s.from <= e.referral);
            }
            for w in c.stints.windows(2) {
                assert_ne!(w[0].la, w[1].la);
                assert!(w[0].from < w[1].from);
            }
        }
    }

    #[test]
    fn only_referred_children_get_stints_and_they_start_before_birth() {
        let params = SimParams::default();
        let model = Model::new(&params);
        let (mut with, mut without) = (0, 0);
        for i in 0..3000u64 {
            let c = model.child(i, 2010);
            if c.episodes.is_empty() {
                assert!(c.stints.is_empty());
                without += 1;
            } else {
                assert_eq!(c.stints[0].from, c.dob.add_days(-PREBIRTH_DAYS));
                with += 1;
            }
            // The same index gives the same child.
            assert_eq!(model.child(i, 2010).episodes, c.episodes);
        }
        assert!(with > 500 && without > 1000, "{with} {without}");
    }

    #[test]
    fn a_constant_hazard_fires_as_an_exponential_clock() {
        let dob = Date::ymd(2010, 6, 15);
        let b = Birthdays::new(dob);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let n = 100_000;
        let before_one = (0..n)
            .filter(|_| next_event(&mut rng, &b, dob, |_| 0.5).is_some_and(|d| d < b.at(1)))
            .count();
        let share = before_one as f64 / f64::from(n);
        let want = 1.0 - (-0.5f64 * 365.0 / 365.25).exp();
        assert!((share - want).abs() < 0.005, "{share} vs {want}");
        assert_eq!(next_event(&mut rng, &b, dob, |_| 0.0), None);
    }

    #[test]
    fn birthdays_handle_leap_days() {
        assert_eq!(birthday(Date::ymd(2012, 2, 29), 1), Date::ymd(2013, 3, 1));
        assert_eq!(birthday(Date::ymd(2012, 2, 29), 4), Date::ymd(2016, 2, 29));
        // The stepped table agrees with the calendar for every day of four years.
        let mut dob = Date::ymd(2010, 1, 1);
        while dob < Date::ymd(2014, 1, 1) {
            let table = Birthdays::new(dob);
            for k in 0..19 {
                assert_eq!(table.at(k), birthday(dob, k as i32), "{dob} + {k}");
            }
            dob = dob.add_days(1);
        }
    }
}
