# Optuna side of `npm run bench:tune`: the same functions, domains, trial counts and seeds as bench/tune.ts.
# Usage: /usr/bin/python3 bench/tune_optuna.py TRIALS SEEDS FUNC[,FUNC...] SAMPLER[,SAMPLER...] [FIRST_SEED]  → one JSON line
# per run, seeds FIRST_SEED (default 0) … FIRST_SEED + SEEDS − 1.
import json, math, sys, time, warnings
import optuna

warnings.filterwarnings("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)

HARTMANN_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
HARTMANN_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
              [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2]


def branin(x):
    x1, x2 = x
    return (x2 - 5.1 / (4 * math.pi ** 2) * x1 ** 2 + 5 / math.pi * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


def hartmann6(x):
    total = 0.0
    for i in range(4):
        inner = sum(HARTMANN_A[i][j] * (x[j] - HARTMANN_P[i][j] * 1e-4) ** 2 for j in range(6))
        total -= HARTMANN_ALPHA[i] * math.exp(-inner)
    return total


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def ackley(x):
    d = len(x)
    s1 = sum(v * v for v in x) / d
    s2 = sum(math.cos(2 * math.pi * v) for v in x) / d
    return -20 * math.exp(-0.2 * math.sqrt(s1)) - math.exp(s2) + 20 + math.e


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    total = math.sin(math.pi * w[0]) ** 2
    for wi in w[:-1]:
        total += (wi - 1) ** 2 * (1 + 10 * math.sin(math.pi * wi + 1) ** 2)
    return total + (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)


def styblinski_tang(x):
    return sum(v ** 4 - 16 * v ** 2 + 5 * v for v in x) / 2


def six_hump_camel(x):
    a, b = x
    return (4 - 2.1 * a * a + a ** 4 / 3) * a * a + a * b + (-4 + 4 * b * b) * b * b


# name → (dimension, low, high) for box-bounded continuous functions; bounds per dimension when a list.
FUNCTIONS = {
    "branin": (branin, [(-5, 10), (0, 15)]),
    "hartmann6": (hartmann6, [(0, 1)] * 6),
    "rosenbrock4": (rosenbrock, [(-2, 2)] * 4),
    "ackley5": (ackley, [(-32.768, 32.768)] * 5),
    "levy4": (levy, [(-10, 10)] * 4),
    "styblinski_tang4": (styblinski_tang, [(-5, 5)] * 4),
    "six_hump_camel": (six_hump_camel, [(-3, 3), (-2, 2)]),
}


def noise(trial_number, seed):
    # Deterministic pseudo-noise, identical to bench/tune.ts: the same sequence for the same (seed, trial).
    h = (seed * 2654435761 + trial_number * 40503 + 12345) % 4294967296
    return ((h % 100000) / 100000 - 0.5) * 2


def objective_for(name, seed):
    if name == "noisy_branin":
        fn, bounds = FUNCTIONS["branin"]

        def noisy(trial):
            x = [trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
            return fn(x) + 0.5 * noise(trial.number, seed)
        return noisy, lambda t: fn([t.params[f"x{i}"] for i in range(len(bounds))])
    if name == "mixed":
        def mixed(trial):
            lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
            layers = trial.suggest_int("layers", 1, 8)
            act = trial.suggest_categorical("act", ["relu", "tanh", "sigmoid"])
            return mixed_value(lr, layers, act)
        return mixed, None
    fn, bounds = FUNCTIONS[name]

    def plain(trial):
        return fn([trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)])
    return plain, None


def mixed_value(lr, layers, act):
    # A synthetic "validation loss": best near lr=3e-3, 4 layers, tanh.
    penalty = {"relu": 0.05, "tanh": 0.0, "sigmoid": 0.3}[act]
    return (math.log10(lr) + 2.5) ** 2 + 0.1 * (layers - 4) ** 2 + penalty


def make_sampler(kind, seed):
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if kind == "mtpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(kind)


def main():
    trials, seeds = int(sys.argv[1]), int(sys.argv[2])
    first_seed = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    for name in sys.argv[3].split(","):
        for kind in sys.argv[4].split(","):
            for seed in range(first_seed, first_seed + seeds):
                objective, true_value = objective_for(name, seed)
                study = optuna.create_study(sampler=make_sampler(kind, seed))
                start = time.perf_counter()
                study.optimize(objective, n_trials=trials)
                elapsed = time.perf_counter() - start
                best_trial = study.best_trial
                best = true_value(best_trial) if true_value else best_trial.value
                print(json.dumps({"function": name, "sampler": kind, "seed": seed, "best": best,
                                  "msPerTrial": elapsed * 1000 / trials}), flush=True)


if __name__ == "__main__":
    main()
