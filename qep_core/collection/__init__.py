"""The monthly collection: which périmètre supplies which indicators, to whom one writes, by which
day its figures are due (:mod:`.sources`), and who has sent what (:mod:`.board`).
"""
