"""The Wikidata bridge: the Wikidata-shaped view, the label service, diff and QuickStatements."""
