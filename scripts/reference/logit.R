#!/usr/bin/env Rscript
# Reference binomial-logit fits from R, for cumin-stats' tests of
# cumin_stats::glm::fit_logit (the left-censoring correction's model).
#
# For each small dataset it writes the input (counts and design) and the maximum-
# likelihood fit of stats::glm(cbind(k, n - k) ~ X - 1, family = binomial), every number
# with 17 significant digits.
#
#   logit_input.csv  dataset,row,k,n,x   x: the design row, columns separated by ";"
#   logit.csv        dataset,quantity,i,j,value
#                    quantity: coef (i), vcov (i, j), deviance
#
# Run from the repository root:  Rscript scripts/reference/logit.R
# (Debian/Ubuntu: apt-get install r-base-core)

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- normalizePath(file.path(dirname(script), "..", ".."))
out_dir <- file.path(root, "fixtures", "reference")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

provenance <- sprintf("# %s; made by scripts/reference/logit.R", R.version.string)
num <- function(x) sprintf("%.17g", x)
write_fixture <- function(lines, name) {
  writeLines(c(provenance, lines), file.path(out_dir, name), useBytes = TRUE)
}

# The backward model's design: an indicator for each earlier age x, then log d and
# (log d)^2 with d = a - x, over the cells (a, x) with a - x <= max_d.
backward_design <- function(n_x, max_a, max_d) {
  cells <- do.call(rbind, lapply(0:(n_x - 1), function(x) {
    a <- (x + 1):min(max_a, x + max_d)
    data.frame(a = a, x = x)
  }))
  X <- outer(cells$x, 0:(n_x - 1), "==") * 1
  ld <- log(cells$a - cells$x)
  list(cells = cells, X = cbind(X, ld, ld^2))
}

sets <- list(
  # A dose-response curve (the glm test's data).
  dose = list(
    X = cbind(1, 0:4), k = c(2, 4, 9, 13, 18), n = rep(20, 5)
  ),
  # Shaped like the left-censoring correction's model: sparse counts of children with
  # an event at the earlier age x among those with an event at a, decaying in a - x.
  backward = local({
    b <- backward_design(n_x = 5, max_a = 12, max_d = 8)
    d <- b$cells$a - b$cells$x
    n <- 15 + 3 * ((b$cells$a * 7 + b$cells$x * 3) %% 11)
    p <- plogis(-0.4 - 0.15 * b$cells$x - 0.9 * log(d) - 0.25 * log(d)^2)
    k <- pmin(n, round(n * p + ((b$cells$a + 2 * b$cells$x) %% 3) - 1))
    list(X = b$X, k = pmax(k, 0), n = n)
  })
)

input <- character(0)
out <- character(0)
for (nm in names(sets)) {
  s <- sets[[nm]]
  X <- unname(as.matrix(s$X))
  for (r in seq_len(nrow(X))) {
    input <- c(input, paste(nm, r - 1, num(s$k[r]), num(s$n[r]),
                            paste(num(X[r, ]), collapse = ";"), sep = ","))
  }
  y <- cbind(s$k, s$n - s$k)
  fit <- glm(y ~ X - 1, family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))
  if (!fit$converged) stop(nm, ": glm did not converge")
  co <- coef(fit)
  v <- vcov(fit)
  out <- c(out, sprintf("%s,coef,%d,,%s", nm, seq_along(co) - 1, num(co)))
  for (i in seq_along(co)) for (j in seq_along(co)) {
    out <- c(out, sprintf("%s,vcov,%d,%d,%s", nm, i - 1, j - 1, num(v[i, j])))
  }
  out <- c(out, sprintf("%s,deviance,,,%s", nm, num(deviance(fit))))
}
write_fixture(c("dataset,row,k,n,x", input), "logit_input.csv")
write_fixture(c("dataset,quantity,i,j,value", out), "logit.csv")
