"""The extension functions of the Wikidata Query Service that citygraph answers too.

A query copied from WDQS that measures distances between places uses GeoSPARQL's
``geof:distance`` on WDQS's coordinates (``"Point(long lat)"^^geo:wktLiteral``, as ``wdt:P625`` and
citygraph's ``geo:asWKT`` give them), in kilometres; ``geof:latitude`` and ``geof:longitude`` take
a point apart. They are given to the engine as custom functions (Python, called only by a query
that uses them). A value that is no WKT point is an evaluation error, so the variable stays
unbound, as for any SPARQL function given a bad argument.

>>> point = ox.Literal("Point(7.4650 51.5136)", datatype=ox.NamedNode(WKT))
>>> leeds = ox.Literal("Point(-1.5486 53.7997)", datatype=ox.NamedNode(WKT))
>>> round(float(distance(point, leeds).value))
658
"""

from __future__ import annotations

import math
import re

import pyoxigraph as ox

GEOF = "http://www.opengis.net/def/function/geosparql/"
WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
_DOUBLE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#double")
#: The mean radius of the Earth (IUGG), in kilometres: what a haversine distance is measured on.
EARTH_RADIUS_KM = 6371.0088
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_POINT = re.compile(rf"\s*(?:<[^>]*>\s*)?POINT\s*\(\s*({_NUMBER})\s+({_NUMBER})\s*\)\s*", re.IGNORECASE)


def _point(term: object) -> tuple[float, float]:
    """(longitude, latitude) of a WKT point literal; ValueError for anything else."""
    if not isinstance(term, ox.Literal) or term.datatype.value != WKT:
        raise ValueError("not a geo:wktLiteral")
    match = _POINT.fullmatch(term.value)
    if match is None:
        raise ValueError(f"not a WKT point: {term.value[:60]!r}")
    longitude, latitude = float(match.group(1)), float(match.group(2))
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise ValueError("the point is off the globe")
    return longitude, latitude


def distance(first: object, second: object, *units: object) -> ox.Literal:
    """``geof:distance(?a, ?b)``: the great-circle distance of two points, in kilometres."""
    if units:  # GeoSPARQL's unit argument: kilometres only, as WDQS answers
        unit = units[0]
        if len(units) > 1 or not isinstance(unit, ox.NamedNode) or not unit.value.endswith(
                ("/kilometre", "/kilometer", "#kilometre", "#kilometer")):
            raise ValueError("geof:distance answers in kilometres only")
    lon1, lat1 = (math.radians(v) for v in _point(first))
    lon2, lat2 = (math.radians(v) for v in _point(second))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return ox.Literal(repr(2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))), datatype=_DOUBLE)


def latitude(point: object) -> ox.Literal:
    """``geof:latitude(?p)``: a point's latitude (WDQS's extension)."""
    return ox.Literal(repr(_point(point)[1]), datatype=_DOUBLE)


def longitude(point: object) -> ox.Literal:
    """``geof:longitude(?p)``: a point's longitude (WDQS's extension)."""
    return ox.Literal(repr(_point(point)[0]), datatype=_DOUBLE)


#: What the engine is given: function IRI → callable.
CUSTOM_FUNCTIONS = {ox.NamedNode(GEOF + "distance"): distance,
                    ox.NamedNode(GEOF + "latitude"): latitude,
                    ox.NamedNode(GEOF + "longitude"): longitude}
