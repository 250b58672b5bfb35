"""Physical ranges of the numbers users give, in one place for the API and the command line.

Outside these a value describes no comet observation (an rh of 1e308 au, a lifetime of
1e-300 s) and, left through, ends in an overflow or a division by zero deep inside. The
limits are deliberately wide; they are listed in ``docs/cli.rst``. No imports here, so
the command line can use them at start-up.
"""

__all__ = ["RANGES", "DEFAULT_TROT_BOUNDS_K"]

#: Range allowed for a fitted rotational temperature, K (the templates' sensible range;
#: `comaspec.fit_coma`'s ``T_rot_bounds``); the nucleus search of a cube covers the same range.
DEFAULT_TROT_BOUNDS_K = (10.0, 300.0)

#: name -> (low, high, unit, low bound included)
RANGES = {
    "rh": (1e-3, 1e3, "au", True),
    "delta": (1e-4, 1e3, "au", True),
    "phase": (0.0, 180.0, "deg", True),
    "aperture": (1e-3, 3600.0, "arcsec", True),
    "offset": (-3600.0, 3600.0, "arcsec", True),
    "velocity": (0.01, 10.0, "km/s", True),
    "lifetime": (1.0, 1e10, "s", True),
    "g_factor": (1e-12, 1.0, "1/s", True),
    "trot": (5.0, 500.0, "K", True),
    "sigma": (0.0, 100.0, "", False),
    "rel_err": (0.0, 10.0, "", True),
    "flux": (-1e-6, 1e-6, "W m^-2", True),
    "flux_err": (0.0, 1e-6, "W m^-2", True),
    "ratio": (0.0, 1e4, "", False),
    "ratio_err": (0.0, 1e4, "", True),
    "rh_filter": (0.0, 1e3, "au", True),
    "target_snr": (0.0, 1e4, "", False),
    "position_angle": (-360.0, 360.0, "deg", True),
    "q_h2o": (1e20, 1e32, "1/s", True),
    # heliocentric radial velocity: beyond it a first-order Doppler shift of the solar lines
    # and a coma model no longer make sense
    "rdot": (-300.0, 300.0, "km/s", True),
}
