"""個人ボランティアの登録と人材バンク: profiles, their editor and the public talent bank."""
