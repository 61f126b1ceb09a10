# "Past the paper" experiments: the rules of each are defined only when the config has
# its section.


include: "beyond_common.smk"


if PHASE:

    include: "phase.smk"


if GRADIENT_EM:

    include: "gradient_em.smk"


if NOISE_SCALE:

    include: "noise_scale.smk"


if ALTERNATIVES:

    include: "alternatives.smk"
