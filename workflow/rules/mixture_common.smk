# Helpers of workflow/rules/mixture.smk: the mixture ground-truth experiments. A section is
# the base truth (config `mixture`, results under results/mixture/) or one of its further
# truths (`mixture.truths.NAME`, the base settings overridden by the truth's keys, results
# under results/mixture_NAME/); each runs the kinds it lists.
MIXTURE = config.get("mixture")
MIXTURE_KINDS = ["exact", "over", "small_init"]
# keys of a section that only the summaries read
MIXTURE_SUMMARY_KEYS = {"level", *MIXTURE_KINDS}


def mixture_key(name):
    """The config key path of a section: mixture or mixture/truths/NAME."""
    return (
        "mixture" if name == "mixture" else f"mixture/truths/{name[len('mixture_'):]}"
    )


def mixture_check(name, section):
    """Errors the schema cannot state: student counts against K, the polygon's dimension."""
    key = mixture_key(name)
    components = section["components"]
    if "over" in section and min(section["over"]["n_components"]) <= components:
        raise ValueError(
            f"config key {key}/over/n_components: every n must exceed components ({components}), "
            f"got {section['over']['n_components']}"
        )
    if "small_init" in section and section["small_init"]["n_components"] < components:
        raise ValueError(
            f"config key {key}/small_init/n_components: must be at least components ({components}), "
            f"got {section['small_init']['n_components']}"
        )
    if section["layout"] == "polygon" and components >= 3 and section["dim"] < 2:
        raise ValueError(
            f"config key {key}/dim: layout polygon with {components} components needs dim >= 2, got {section['dim']}"
        )
    return section


def mixture_sections():
    """{section name: its settings}: "mixture" and "mixture_NAME" per further truth."""
    if not MIXTURE:
        return {}
    base = {k: v for k, v in MIXTURE.items() if k != "truths"}
    shared = {k: v for k, v in base.items() if k not in MIXTURE_KINDS}
    sections = {"mixture": base}
    for name, truth in (MIXTURE.get("truths") or {}).items():
        sections[f"mixture_{name}"] = {**shared, **truth}
    return {name: mixture_check(name, section) for name, section in sections.items()}


MIXTURE_SECTIONS = mixture_sections()


def mixture_kinds(section):
    return [kind for kind in MIXTURE_KINDS if kind in MIXTURE_SECTIONS[section]]


def mixture_student_counts(section, kind):
    settings = MIXTURE_SECTIONS[section]
    if kind == "exact":
        return [settings["components"]]
    if kind == "over":
        return settings["over"]["n_components"]
    return [settings["small_init"]["n_components"]]


def mixture_case_results(section, kind):
    return [
        f"results/{section}/{kind}/n{n}_D{wildcard_label(delta)}.npz"
        for n in mixture_student_counts(section, kind)
        for delta in MIXTURE_SECTIONS[section][kind]["separations"]
    ]


def mixture_sigmas(section, kind):
    """The initial spreads of one kind's cases: one, or the small-init log grid."""
    settings = MIXTURE_SECTIONS[section][kind]
    if kind != "small_init":
        return [settings["sigma"]]
    return log_grid(settings["sigma_log10"])


def mixture_case_settings(section, kind):
    """What one case depends on: the shared settings and its kind's seeds (not the grids
    or summary thresholds, so that adding a Delta or an n reruns nothing else)."""
    settings = MIXTURE_SECTIONS[section]
    shared = {k: v for k, v in settings.items() if k not in MIXTURE_SUMMARY_KEYS}
    return {
        **shared,
        "runs": settings[kind]["runs"],
        "sigmas": mixture_sigmas(section, kind),
    }


def mixture_targets():
    return [
        path
        for section in MIXTURE_SECTIONS
        for kind in mixture_kinds(section)
        for path in (
            f"results/{section}/{kind}.json",
            f"figures/{section}_{kind}.pdf",
            f"figures/{section}_{kind}.png",
        )
    ]
