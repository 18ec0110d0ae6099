import pytest

from jiceng.dispatch.weak import OTHER, label_from_reply

KNOWN = {"城乡建设", "劳动和社会保障", "教育文体", "卫生计生"}


@pytest.mark.parametrize(
    "reply,label",
    [
        ("经县住建局调查，该路段已列入维修计划。", "城乡建设"),
        ("已转市人社局劳动监察支队处理。", "劳动和社会保障"),
        ("经A7县教育局核实，答复如下。", "教育文体"),
        ("县卫健局已责成医院核对收费。", "卫生计生"),
        ("县公安局已安排派出所加强巡逻。", OTHER),
        ("经县交通运输局调查", OTHER),  # a known office whose category the model lacks
        ("感谢您的留言，我们会认真研究。", None),
        ("县教育局和县卫健局联合调查", None),  # two offices equally: no label
        ("", None),
    ],
)
def test_reply_department_gives_a_weak_label(reply, label):
    assert label_from_reply(reply, KNOWN) == label


def test_the_head_and_the_signature_count_not_the_middle():
    filler = "感谢您的留言。" * 60
    assert label_from_reply(filler + "县教育局" + filler, KNOWN) is None
    assert label_from_reply(filler + "县教育局\n2019年10月9日", KNOWN) == "教育文体"
    assert label_from_reply("县人社局：" + filler + "县教育局", KNOWN) is None  # one each: a tie
