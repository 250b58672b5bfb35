"""The names users pick models by, for the API and the command line.

No imports here: the command line builds its parser from these names without loading numpy,
astropy or the model (``comaspec --help`` and a usage error used to pay ~0.5 s of imports).
The modules that implement the models take their names from here.
"""

__all__ = ["EMISSION_MODELS", "DEFAULT_EMISSION", "SOLAR_SPECTRA", "DEFAULT_SOLAR", "CONTINUUM_MODELS"]

#: Emission models understood by the templates and the fitter (`comaspec.physics.fluorescence`).
EMISSION_MODELS = ("fluorescence", "thermal")
#: The default emission model.
DEFAULT_EMISSION = "fluorescence"

#: Solar spectra the fluorescence model can pump with (`comaspec.physics.solar`).
SOLAR_SPECTRA = ("e490", "meftah2023")
#: The default: the smooth ASTM E490-00a continuum (no Swings effect).
DEFAULT_SOLAR = "e490"

#: Continuum models by name, the keys of `comaspec.model.continuum.CONTINUA` in order.
CONTINUUM_MODELS = ("polynomial", "physical")
