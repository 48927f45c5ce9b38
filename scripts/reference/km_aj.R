#!/usr/bin/env Rscript
# Reference Kaplan–Meier and Aalen–Johansen numbers from R, for cumin-stats' tests.
#
# Builds small deterministic datasets, writes them (the inputs) and R's estimates
# (the expected outputs) to fixtures/reference/, every number with 17 significant
# digits so that it reads back to the double R computed.
#
#   km_input.csv  dataset,time,status            status: 0 censored, 1 event
#   km.csv        one row per distinct time of each dataset, from survival::survfit:
#                 n.risk, n.event, n.censor, surv, std.err (of log S, Greenwood),
#                 lower/upper for conf.type = "log-log" and "log" (95%), NA where R
#                 gives NA
#   aj_input.csv  dataset,time,status            status: 0 censored, k cause k
#   aj.csv        one row per distinct time and cause: cmprsk::cuminc's estimate and
#                 variance (Aalen 1978, as in Gray's cinc.f), and survival::survfit's
#                 multi-state pstate and std.err (infinitesimal jackknife) for the
#                 same cause
#
# Run from the repository root:  Rscript scripts/reference/km_aj.R

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- normalizePath(file.path(dirname(script), "..", ".."))
out_dir <- file.path(root, "fixtures", "reference")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

provenance <- sprintf(
  "# %s, survival %s, cmprsk %s; made by scripts/reference/km_aj.R",
  R.version.string, packageVersion("survival"), packageVersion("cmprsk")
)

num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

write_fixture <- function(df, name) {
  cols <- lapply(df, function(col) if (is.numeric(col)) num(col) else as.character(col))
  lines <- c(provenance, paste(names(df), collapse = ","),
             do.call(paste, c(cols, sep = ",")))
  writeLines(lines, file.path(out_dir, name), useBytes = TRUE)
}

# ---------------------------------------------------------------------------------
# Single-event datasets (Kaplan–Meier).

km_sets <- list(
  # Tied event times, censorings tied with events (R counts them at risk), and
  # fractional times.
  ties_censoring = data.frame(
    time   = c(0.5, 1, 1, 1, 2, 2, 3, 3, 3, 3, 4, 5, 5, 6, 6, 6, 7, 8, 8, 9,
               10, 10, 11, 12, 12, 13, 2.25, 2.25, 6, 9),
    status = c(0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1,
               0, 1, 1, 0, 1, 0, 1, 0, 0, 1)
  ),
  # Nothing but censoring at the first four times: S = 1, std.err = 0 and the
  # log-log limits undefined there.
  early_zero = data.frame(
    time   = c(1, 1, 2, 3, 3, 4, 5, 5, 5, 6, 7, 7, 8, 9, 10),
    status = c(0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1)
  ),
  # The last three children at risk all have the event together: S drops to 0 and
  # Greenwood's term d / (n (n - d)) is infinite.
  all_events_last = data.frame(
    time   = c(1, 2, 2, 3, 4, 4, 5, 6, 6, 6),
    status = c(1, 1, 0, 0, 1, 1, 0, 1, 1, 1)
  ),
  # A closed birth cohort followed by single year of age: 200 children, first events
  # at ages 1..17 (none at age 0), the rest still without an event at 18. This is the
  # life table with one cohort and no censoring before 18.
  closed_cohort = local({
    events <- c(0, 12, 9, 7, 7, 6, 5, 5, 4, 4, 4, 3, 3, 3, 2, 2, 1, 1)
    ages <- rep(seq_along(events) - 1, events)
    data.frame(
      time = c(ages, rep(18, 200 - length(ages))),
      status = c(rep(1, length(ages)), rep(0, 200 - length(ages)))
    )
  }),
  # A larger sample with many ties (integer times) and heavy censoring.
  random_400 = local({
    set.seed(20250611)
    event <- ceiling(rexp(400, 1 / 6))
    cens <- ceiling(runif(400, 0, 15))
    data.frame(time = pmin(event, cens), status = as.numeric(event <= cens))
  })
)

km_input <- do.call(rbind, lapply(names(km_sets), function(nm) {
  data.frame(dataset = nm, time = km_sets[[nm]]$time, status = km_sets[[nm]]$status)
}))
write_fixture(km_input, "km_input.csv")

km_out <- do.call(rbind, lapply(names(km_sets), function(nm) {
  d <- km_sets[[nm]]
  ll <- survfit(Surv(time, status) ~ 1, data = d, conf.type = "log-log", conf.int = 0.95)
  lg <- survfit(Surv(time, status) ~ 1, data = d, conf.type = "log", conf.int = 0.95)
  stopifnot(isTRUE(all.equal(ll$surv, lg$surv)), isTRUE(all.equal(ll$std.err, lg$std.err)))
  data.frame(
    dataset = nm, time = ll$time, n_risk = ll$n.risk, n_event = ll$n.event,
    n_censor = ll$n.censor, surv = ll$surv, std_err = ll$std.err,
    lower_loglog = ll$lower, upper_loglog = ll$upper,
    lower_log = lg$lower, upper_log = lg$upper
  )
}))
write_fixture(km_out, "km.csv")

# ---------------------------------------------------------------------------------
# Competing-risk datasets (Aalen–Johansen).

aj_sets <- list(
  # Two causes, ties within and across causes, censorings tied with events.
  two_causes = data.frame(
    time   = c(1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 6, 6, 7, 7, 8, 9, 9, 10, 11,
               12, 12, 13, 14, 15),
    status = c(1, 2, 1, 2, 0, 1, 0, 2, 2, 1, 0, 1, 1, 2, 0, 1, 0, 2, 1, 0,
               1, 2, 0, 2, 1)
  ),
  # Everyone left at the last time fails, of both causes: overall survival reaches
  # 0 (the branch Gray's code treats specially).
  ends_in_failures = data.frame(
    time   = c(1, 2, 2, 3, 4, 5, 5, 6, 6, 6, 6),
    status = c(2, 1, 0, 1, 0, 2, 1, 1, 2, 2, 1)
  ),
  # Nothing but censoring and the competing cause early on.
  late_cause = data.frame(
    time   = c(1, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 10, 10),
    status = c(0, 2, 0, 2, 2, 0, 1, 2, 1, 0, 1, 0, 1, 2)
  ),
  # Three causes, many ties, heavy censoring.
  random_three_causes = local({
    set.seed(20250612)
    n <- 400
    latent <- sapply(1:3, function(k) ceiling(rexp(n, c(1 / 12, 1 / 20, 1 / 30)[k])))
    cens <- ceiling(runif(n, 0, 25))
    first <- apply(latent, 1, min)
    cause <- apply(latent, 1, which.min)
    data.frame(time = pmin(first, cens), status = ifelse(first <= cens, cause, 0))
  })
)

aj_input <- do.call(rbind, lapply(names(aj_sets), function(nm) {
  data.frame(dataset = nm, time = aj_sets[[nm]]$time, status = aj_sets[[nm]]$status)
}))
write_fixture(aj_input, "aj_input.csv")

aj_out <- do.call(rbind, lapply(names(aj_sets), function(nm) {
  d <- aj_sets[[nm]]
  causes <- sort(unique(d$status[d$status != 0]))
  times <- sort(unique(d$time))
  ci <- cuminc(d$time, d$status, cencode = 0)
  ms <- survfit(
    Surv(time, factor(status, levels = c(0, causes), labels = c("censor", paste0("c", causes)))) ~ 1,
    data = d
  )
  stopifnot(isTRUE(all.equal(ms$time, times)))
  do.call(rbind, lapply(causes, function(k) {
    curve <- ci[[paste("1", k)]]
    # cuminc gives the corners of the step function, the value after a jump last:
    # the estimate at t is the last corner at or before t.
    at <- findInterval(times, curve$time)
    state <- match(paste0("c", k), ms$states)
    data.frame(
      dataset = nm, time = times, cause = k, n_risk = ms$n.risk[, 1],
      n_event = ms$n.event[, state],
      cuminc = curve$est[at], var_cmprsk = curve$var[at],
      pstate_survfit = ms$pstate[, state], std_err_survfit_ij = ms$std.err[, state]
    )
  }))
}))
write_fixture(aj_out, "aj.csv")

message("wrote km_input.csv, km.csv, aj_input.csv, aj.csv to ", out_dir)
